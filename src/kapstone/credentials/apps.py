"""Training, part 2: certificates as Open Badges 3.0 verifiable credentials, status lists, public
verification.
"""

from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "kapstone.credentials"
    label = "credentials"
    verbose_name = "Certificates as verifiable credentials"

    def ready(self) -> None:
        # The referral directory shows a certificate as verified only while it is valid, asking at
        # the moment a page is drawn (community sits below credentials and cannot import it).
        from kapstone.community.hooks import register_credential_source
        from kapstone.credentials.claims import claims_of

        register_credential_source(claims_of)
