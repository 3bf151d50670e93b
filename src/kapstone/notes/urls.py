"""URL patterns of the ``notes`` namespace (mounted at /notes/)."""

from django.urls import path

from kapstone.notes import views

notes_patterns = (
    [
        path("clients/<int:pk>/", views.client_notes, name="client_notes"),
        path("clients/<int:pk>/new/", views.note_create, name="create"),
        path("<int:pk>/", views.note_detail, name="detail"),
        path("<int:pk>/edit/", views.note_edit, name="edit"),
        path("<int:pk>/sign/", views.note_sign, name="sign"),
        path("<int:pk>/addendum/", views.note_addendum, name="addendum"),
        path("<int:pk>/cosign/", views.note_cosign, name="cosign"),
        path("<int:pk>/return/", views.note_return, name="return"),
        path("cosign/", views.cosign_queue, name="cosign_queue"),
        path("clients/<int:pk>/psychotherapy/", views.psychnote_list, name="psychnote_list"),
        path("clients/<int:pk>/psychotherapy/new/", views.psychnote_create, name="psychnote_create"),
        path("psychotherapy/<int:pk>/", views.psychnote_detail, name="psychnote_detail"),
        path("psychotherapy/grants/", views.psychnote_grants, name="psychnote_grants"),
        path("psychotherapy/grants/<int:pk>/revoke/", views.psychnote_revoke, name="psychnote_revoke"),
    ],
    "notes",
)
