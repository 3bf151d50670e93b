"""URL patterns: ``measures`` (staff) and ``questionnaire`` (the client's mailed link)."""

from django.urls import path

from kapstone.measures import portal_signed_in, portal_views, views

measures_patterns = ([
    path("caseload/", views.caseload, name="caseload"),
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/<slug:instrument_id>/settings/", views.instrument_settings, name="instrument_settings"),
    path("clients/<int:pk>/", views.client_measures, name="client"),
    path("clients/<int:pk>/record/", views.record_choose, name="record"),
    path("clients/<int:pk>/record/<slug:instrument_id>/", views.record_form, name="record_form"),
    path("clients/<int:pk>/send/", views.send_link, name="send_link"),
    path("clients/<int:pk>/schedules/", views.schedules, name="schedules"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("safety/<int:pk>/", views.safety_task, name="safety_task"),
], "measures")  # fmt: skip

questionnaire_patterns = ([
    path("done/", portal_views.done, name="done"),
    path("mine/<int:pk>/start/", portal_signed_in.start, name="start"),
    path("<str:token>/", portal_views.questionnaire, name="fill"),
], "questionnaire")  # fmt: skip
