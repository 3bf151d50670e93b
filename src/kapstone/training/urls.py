"""URL patterns of the ``training`` namespace (mounted at /training/)."""

from django.urls import URLPattern, URLResolver, path

from kapstone.training import lead_views, views

app_name = "training"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("e/<int:pk>/lessons/<slug:lesson_id>/", views.lesson, name="lesson"),
    path("e/<int:pk>/checks/<slug:module_id>/", views.quiz, name="quiz"),
    path("e/<int:pk>/competencies/", views.profile, name="profile"),
    path("e/<int:pk>/assess/", lead_views.assess, name="assess"),
    path("attempts/<int:pk>/mark/", lead_views.attempt_mark, name="attempt_mark"),
    path("journal/", views.journal_list, name="journal"),
    path("journal/<int:pk>/", views.journal_entry, name="journal_entry"),
    path("journal/<int:pk>/edit/", views.journal_edit, name="journal_edit"),
    path("journal/<int:pk>/share/", views.journal_share, name="journal_share"),
    path("journal/<int:pk>/comment/", views.journal_comment, name="journal_comment"),
    path("programs/", lead_views.programs, name="programs"),
    path("versions/<int:pk>/", lead_views.version, name="version"),
    path("versions/<int:pk>/publish/", lead_views.version_publish, name="version_publish"),
    path("versions/<int:pk>/export.zip", lead_views.version_export, name="version_export"),
    path("versions/<int:pk>/lessons/<slug:lesson_id>/edit/", lead_views.lesson_edit, name="lesson_edit"),
    path("versions/<int:pk>/cohorts/new/", lead_views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", lead_views.cohort, name="cohort"),
    path("cohorts/<int:pk>/enroll/", lead_views.cohort_enroll, name="cohort_enroll"),
    path("cohorts/<int:pk>/move/", lead_views.cohort_move, name="cohort_move"),
    path("cohorts/<int:pk>/second-rater/", lead_views.cohort_second_rater, name="cohort_second_rater"),
    path("cohorts/<int:pk>/sessions/new/", lead_views.live_session_create, name="live_session_create"),
    path("sessions/<int:pk>/attendance/", lead_views.attendance, name="attendance"),
]
