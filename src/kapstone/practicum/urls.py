"""URL patterns of the ``practicum`` namespace."""

from django.urls import URLPattern, URLResolver, path

from kapstone.practicum import program_views, views

app_name = "practicum"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("ledger/", views.my_ledger, name="ledger"),
    path("ledger.pdf", views.my_ledger_pdf, name="ledger_pdf"),
    path("export/<str:what>.csv", views.export_csv, name="export"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("entries/<int:pk>/review/", views.entry_review, name="entry_review"),
    path("trainees/<int:pk>/", views.trainee_ledger, name="trainee"),
    path("trainees/<int:pk>/facts/", views.fact_record, name="fact_record"),
    path("desk/", views.desk, name="desk"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("program/", program_views.page, name="program"),
    path("program/configure/", program_views.configure, name="program_configure"),
    path("program/supervision/", program_views.assign, name="supervision_assign"),
    path("program/supervision/<int:pk>/end/", program_views.end, name="supervision_end"),
]
