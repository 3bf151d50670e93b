"""The public directory, mounted at /directory/ (namespace ``directory``)."""

from django.urls import path

from kapstone.community import directory_views

app_name = "directory"
urlpatterns = [
    path("", directory_views.directory_search, name="search"),
    # The search page links to a listing relatively ("<pk>/"): keep the two side by side.
    path("<int:pk>/", directory_views.directory_listing, name="listing"),
]
