"""Emergency access pages, added to the ``clients`` namespace under /clients/ (kapstone/urls.py)."""

from django.urls import path

from kapstone.clients import breakglass_views as views

breakglass_patterns = [
    path("emergency/", views.breakglass_search, name="breakglass"),
    path("emergency/<int:pk>/", views.breakglass_client, name="breakglass_client"),
    path("emergency/review/", views.breakglass_review, name="breakglass_review"),
    path("emergency/review/<int:pk>/", views.breakglass_grant, name="breakglass_grant"),
]
