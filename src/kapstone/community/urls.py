"""URL patterns of the ``community`` namespace (mounted at /community/)."""

from django.urls import URLPattern, URLResolver, path

from kapstone.community import directory_views, views
from kapstone.community import forum_views as fv
from kapstone.community import library_views as lv
from kapstone.community import mentorship_views as mv
from kapstone.community import workshop_views as wv

app_name = "community"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("directory/listing/", directory_views.listing_edit, name="listing_edit"),
    path("directory/attestations/", directory_views.attestations, name="attestations"),
    path("directory/attestations/<int:pk>/", directory_views.attest, name="attest"),
    path("referrals/", directory_views.referrals, name="referrals"),
    path("referrals/new/<int:pk>/", directory_views.referral_new, name="referral_new"),
    path("referrals/<int:pk>/", directory_views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/decide/", directory_views.referral_decide, name="referral_decide"),
    path("workshops/", wv.workshops, name="workshops"),
    path("workshops/new/", wv.workshop_new, name="workshop_new"),
    path("workshops/<int:pk>/", wv.workshop_detail, name="workshop"),
    path("workshops/<int:pk>/edit/", wv.workshop_edit, name="workshop_edit"),
    path("workshops/<int:pk>/register/", wv.workshop_register, name="workshop_register"),
    path("workshops/<int:pk>/unregister/", wv.workshop_unregister, name="workshop_unregister"),
    path("workshops/<int:pk>/claim/", wv.workshop_claim, name="workshop_claim"),
    path("workshops/<int:pk>/cancel/", wv.workshop_cancel, name="workshop_cancel"),
    path("workshops/<int:pk>/attendance/", wv.workshop_attendance, name="workshop_attendance"),
    path("workshops/<int:pk>/event.ics", wv.workshop_event, name="workshop_event"),
    path("calendar/", wv.calendar_feed_manage, name="calendar_feed_manage"),
    path("calendar/<str:token>.ics", wv.calendar_feed, name="calendar_feed"),
    path("spaces/", fv.spaces, name="spaces"),
    path("spaces/<int:pk>/", fv.space, name="space"),
    path("topics/<int:pk>/", fv.topic, name="topic"),
    path("topics/<int:pk>/lock/", fv.topic_lock, name="topic_lock"),
    path("topics/<int:pk>/follow/", fv.topic_subscribe, name="topic_subscribe"),
    path("posts/<int:pk>/edit/", fv.post_edit, name="post_edit"),
    path("posts/<int:pk>/flag/", fv.post_flag, name="post_flag"),
    path("posts/<int:pk>/attach/", fv.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", fv.attachment, name="attachment"),
    path("posts/<int:pk>/moderate/", fv.moderate, name="moderate"),
    path("moderation/", fv.moderation, name="moderation"),
    path("mentorship/", mv.mentorship, name="mentorship"),
    path("mentorship/profile/", mv.mentor_profile, name="mentor_profile"),
    path("mentorship/request/", mv.mentorship_request, name="mentorship_request"),
    path("mentorship/match/", mv.mentorship_match, name="mentorship_match"),
    path("mentorship/<int:pk>/", mv.mentorship_detail, name="mentorship_detail"),
    path("mentorship/<int:pk>/decide/", mv.mentorship_decide, name="mentorship_decide"),
    path("library/", lv.library, name="library"),
    path("library/new/", lv.resource_new, name="resource_new"),
    path("library/<int:pk>/", lv.resource, name="resource"),
    path("library/<int:pk>/download/", lv.resource_download, name="resource_download"),
]
