"""The public guide, mounted at /guide/ (namespace ``guide``)."""

from django.urls import path

from kapstone.training.guide_view import guide

app_name = "guide"
urlpatterns = [path("", guide, name="guide")]
