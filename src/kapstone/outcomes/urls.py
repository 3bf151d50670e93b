"""URL patterns of the ``outcomes`` namespace (mounted at /outcomes/)."""

from django.urls import path

from kapstone.outcomes import views

outcomes_patterns = ([
    path("program/", views.program, name="program"),
], "outcomes")  # fmt: skip
