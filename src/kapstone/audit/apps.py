from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kapstone.audit"
    label = "audit"

    def ready(self) -> None:
        # access stands below audit and cannot import the writer: hand it over (access/trail.py).
        from kapstone.access import trail
        from kapstone.audit.services import write_access

        trail.register(write_access)
