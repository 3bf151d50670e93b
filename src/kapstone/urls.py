from django.urls import include, path

from kapstone.accounts import views as account_views
from kapstone.audit import views as audit_views
from kapstone.care.urls import care_patterns
from kapstone.clients import portal_views
from kapstone.clients import views as client_views
from kapstone.clients.breakglass_urls import breakglass_patterns
from kapstone.clients.intake_urls import intake_patterns, portal_kap_patterns
from kapstone.credentials import views as credential_views
from kapstone.credentials.urls import verify_patterns
from kapstone.measures.urls import measures_patterns, questionnaire_patterns
from kapstone.notes.urls import notes_patterns
from kapstone.outcomes.urls import outcomes_patterns
from kapstone.screening.urls import screening_patterns
from kapstone.shell import views as shell_views

core_patterns = ([
    path("", shell_views.home, name="home"),
    path("dashboard/", shell_views.dashboard, name="dashboard"),
    path("preferences/", shell_views.preferences, name="preferences"),
    path("organization/settings/", shell_views.organization_settings, name="organization_settings"),
    path("healthz", shell_views.healthz, name="healthz"),
], "core")  # fmt: skip

account_patterns = ([
    path("sign-in/", account_views.sign_in, name="login"),
    path("sign-in/verify/", account_views.mfa_verify, name="mfa_verify"),
    path("sign-in/set-up-mfa/", account_views.mfa_setup, name="mfa_setup"),
    path("sign-in/passkey/options/", account_views.sign_in_options, name="passkey_sign_in_options"),
    path("sign-in/passkey/", account_views.sign_in_passkey, name="passkey_sign_in"),
    path("security/", account_views.security, name="security"),
    path("security/passkeys/options/", account_views.passkey_options, name="passkey_options"),
    path("security/passkeys/", account_views.passkey_add, name="passkey_add"),
    path("security/passkeys/<int:pk>/remove/", account_views.passkey_remove, name="passkey_remove"),
    path("sign-out/", account_views.sign_out, name="logout"),
    path("invitation/<str:token>/", account_views.accept_invitation, name="accept_invitation"),
    path("members/", account_views.members, name="members"),
    path("members/<int:pk>/active/", account_views.member_set_active, name="member_set_active"),
    path("organization/", account_views.switch_organization, name="switch_organization"),
], "accounts")  # fmt: skip

client_patterns = ([
    path("", client_views.client_list, name="list"),
    path("new/", client_views.client_create, name="create"),
    path("<int:pk>/", client_views.client_detail, name="detail"),
    path("<int:pk>/edit/", client_views.client_edit, name="edit"),
    path("<int:pk>/care-team/", client_views.care_team, name="care_team"),
    *breakglass_patterns,  # emergency access (break-glass) and its review
], "clients")  # fmt: skip

audit_patterns = ([
    path("", audit_views.audit_log, name="log"),
    path("export.csv", audit_views.audit_export, name="export"),
    path("checkpoint.json", audit_views.audit_checkpoint, name="checkpoint"),
], "audit")  # fmt: skip

portal_patterns = ([
    path("", portal_views.portal_home, name="home"),
    *portal_kap_patterns,
], "portal")  # fmt: skip

urlpatterns = [
    path("", include(core_patterns)),
    path("accounts/", include(account_patterns)),
    path("clients/", include(client_patterns)),
    path("audit/", include(audit_patterns)),
    path("portal/", include(portal_patterns)),
    path("measures/", include(measures_patterns)),
    path("q/", include(questionnaire_patterns)),
    path("notes/", include(notes_patterns)),
    path("care/", include(care_patterns)),
    path("outcomes/", include(outcomes_patterns)),
    path("api/", include("kapstone.api")),
    path("", include(intake_patterns)),
    path("", include(screening_patterns)),
    # Capabilities on top. Public pages (the guide, certificate verification, the directory) are
    # mounted by their apps' own urlconfs under these prefixes.
    path("training/", include("kapstone.training.urls")),
    path("guide/", include("kapstone.training.guide_urls")),  # public: the beginner's guide to KAP
    path("consultation/", include("kapstone.consultation.urls")),
    path("community/", include("kapstone.community.urls")),
    path("directory/", include("kapstone.community.directory_urls")),
    path("practicum/", include("kapstone.practicum.urls")),
    path("credentials/", include("kapstone.credentials.urls")),
    path(".well-known/did.json", credential_views.did_json, name="did_json"),
    path("verify/", include(verify_patterns)),
]

handler400 = "kapstone.shell.views.error_400"
handler403 = "kapstone.shell.views.error_403"
handler404 = "kapstone.shell.views.error_404"
handler500 = "kapstone.shell.views.error_500"
