"""URL patterns of the ``consultation`` namespace."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
app_name = "consultation"
