"""URL patterns of the ``care`` namespace (mounted at /care/)."""

from django.urls import path

from kapstone.care.views import courses, dosing, printing, protocols, sessions

care_patterns = ([
    path("protocols/", protocols.protocol_list, name="protocols"),
    path("protocols/<int:pk>/", protocols.protocol_detail, name="protocol"),
    path("protocols/<int:pk>/new-version/", protocols.protocol_new_version, name="protocol_new_version"),
    path("clients/<int:pk>/courses/", courses.client_courses, name="client_courses"),
    path("clients/<int:pk>/courses/new/", courses.course_start, name="course_start"),
    path("courses/<int:pk>/", courses.course_detail, name="course"),
    path("courses/<int:pk>/edit/", courses.course_edit, name="course_edit"),
    path("courses/<int:pk>/sessions/new/", courses.session_new, name="session_new"),
    path("courses/<int:pk>/summary.pdf", printing.course_pdf, name="course_pdf"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", sessions.session_edit, name="session_edit"),
    path("sessions/<int:pk>/start/", sessions.session_start, name="session_start"),
    path("sessions/<int:pk>/cancel/", sessions.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/record.pdf", printing.session_pdf, name="session_pdf"),
    path("sessions/<int:pk>/dosing/", dosing.dosing_room, name="dosing"),
    path("sessions/<int:pk>/dosing/start/", dosing.dosing_start, name="dosing_start"),
    path("sessions/<int:pk>/dosing/dose/", dosing.dose, name="dose"),
    path("sessions/<int:pk>/dosing/infusion-end/", dosing.infusion_end, name="infusion_end"),
    path("sessions/<int:pk>/dosing/vitals/", dosing.vitals, name="vitals"),
    path("sessions/<int:pk>/dosing/rating/", dosing.rating, name="rating"),
    path("sessions/<int:pk>/dosing/intervention/", dosing.intervention, name="intervention"),
    path("sessions/<int:pk>/dosing/adverse-event/", dosing.adverse_event, name="adverse_event"),
    path("sessions/<int:pk>/dosing/discharge/", dosing.discharge, name="discharge"),
    path("sessions/<int:pk>/dosing/board/", dosing.board, name="board"),
    path("alerts/<int:pk>/acknowledge/", dosing.alert_acknowledge, name="alert_acknowledge"),
], "care")  # fmt: skip
