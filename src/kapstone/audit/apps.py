from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kapstone.audit"
    label = "audit"
