"""URL patterns of the ``consultation`` namespace (mounted at /consultation/)."""

from django.urls import URLPattern, URLResolver, path

from kapstone.consultation import group_views, views

app_name = "consultation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("new/<int:pk>/", views.case_new, name="case_new"),  # pk: the client the case is made from
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/review/", views.case_review, name="case_review"),
    path("cases/<int:pk>/redact/", views.case_redact, name="case_redact"),
    path("cases/<int:pk>/post/", views.case_post, name="case_post"),
    path("cases/<int:pk>/feedback/", views.case_feedback, name="case_feedback"),
    path("cases/<int:pk>/flag/", views.case_flag, name="case_flag"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("groups/new/", group_views.group_new, name="group_new"),
    path("groups/<int:pk>/", group_views.group_detail, name="group"),
    path("groups/<int:pk>/members/", group_views.member_add, name="member_add"),
    path("groups/<int:pk>/meetings/", group_views.meeting_new, name="meeting_new"),
]
