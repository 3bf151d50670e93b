from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "kapstone.credentials"
    label = "credentials"
    verbose_name = "Certificates as verifiable credentials"
