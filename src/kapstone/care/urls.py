"""URL patterns of the ``care`` namespace (mounted at /care/)."""

from django.urls import path

from kapstone.care import views

care_patterns = ([
    path("protocols/", views.protocol_list, name="protocols"),
    path("protocols/<int:pk>/", views.protocol_detail, name="protocol"),
    path("protocols/<int:pk>/new-version/", views.protocol_new_version, name="protocol_new_version"),
    path("clients/<int:pk>/courses/", views.client_courses, name="client_courses"),
    path("clients/<int:pk>/courses/new/", views.course_start, name="course_start"),
    path("courses/<int:pk>/", views.course_detail, name="course"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("courses/<int:pk>/summary.pdf", views.course_pdf, name="course_pdf"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/start/", views.session_start, name="session_start"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/record.pdf", views.session_pdf, name="session_pdf"),
    path("sessions/<int:pk>/dosing/", views.dosing_room, name="dosing"),
    path("sessions/<int:pk>/dosing/start/", views.dosing_start, name="dosing_start"),
    path("sessions/<int:pk>/dosing/dose/", views.dose, name="dose"),
    path("sessions/<int:pk>/dosing/infusion-end/", views.infusion_end, name="infusion_end"),
    path("sessions/<int:pk>/dosing/vitals/", views.vitals, name="vitals"),
    path("sessions/<int:pk>/dosing/rating/", views.rating, name="rating"),
    path("sessions/<int:pk>/dosing/intervention/", views.intervention, name="intervention"),
    path("sessions/<int:pk>/dosing/adverse-event/", views.adverse_event, name="adverse_event"),
    path("sessions/<int:pk>/dosing/discharge/", views.discharge, name="discharge"),
    path("sessions/<int:pk>/dosing/board/", views.board, name="board"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
], "care")  # fmt: skip
