from django.urls import path

from kapstone.clients import intake_views as views
from kapstone.clients import portal_kap_views

intake_patterns = ([
    path("clients/<int:pk>/intake/", views.intake_detail, name="detail"),
    path("clients/<int:pk>/intake/edit/", views.intake_edit, name="edit"),
    path("clients/<int:pk>/choices/", views.choices_edit, name="choices"),
    path("clients/<int:pk>/consent/", views.consent_overview, name="consent"),
    path("clients/<int:pk>/consent/sign/", views.consent_sign_in_person, name="consent_sign"),
    path("clients/<int:pk>/consent/<int:cid>/", views.consent_detail, name="consent_detail"),
    path("clients/<int:pk>/consent/<int:cid>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("clinic/consent-template/", views.consent_template, name="consent_template"),
    path("clinic/consent-template/edit/", views.consent_template_edit, name="consent_template_edit"),
], "intake")  # fmt: skip

# Added to the portal namespace (see kapstone/urls.py).
portal_kap_patterns = [
    path("consent/", portal_kap_views.portal_consent, name="consent"),
    path("consent/<int:cid>/withdraw/", portal_kap_views.portal_consent_withdraw, name="consent_withdraw"),
    path("choices/", portal_kap_views.portal_choices, name="choices"),
]
