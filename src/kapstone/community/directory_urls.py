"""The public directory, mounted at /directory/ (namespace ``directory``)."""

from django.urls import path

from kapstone.community import directory_views

app_name = "directory"
urlpatterns = [
    path("", directory_views.directory_search, name="search"),
    path("<int:pk>/", directory_views.directory_listing, name="listing"),
]
