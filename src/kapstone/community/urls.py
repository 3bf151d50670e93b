"""URL patterns of the ``community`` namespace (mounted at /community/)."""

from django.urls import URLPattern, URLResolver, path

from kapstone.community import directory_views, views

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
]
