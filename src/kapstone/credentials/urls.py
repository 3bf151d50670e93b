"""URL patterns of the ``credentials`` namespace, and the public ``verify`` namespace mounted at
/verify/ (with /.well-known/did.json, from the project's urlconf)."""

from django.urls import URLPattern, URLResolver, path

from kapstone.credentials import views

app_name = "credentials"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("manage/", views.manage, name="manage"),
    path("issue/<int:pk>/", views.issue, name="issue"),
    path("status/<slug:slug>/", views.status_list, name="status_list"),
    path("<str:code>.json", views.download, name="download"),
    path("<str:code>.pdf", views.pdf, name="pdf"),
    path("<str:code>/status/", views.set_status, name="set_status"),
]

verify_patterns = ([
    path("", views.verify_lookup, name="lookup"),
    path("<str:code>/", views.verify_page, name="credential"),
], "verify")  # fmt: skip
