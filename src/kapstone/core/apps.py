from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kapstone.core"
    label = "core"

    def ready(self) -> None:
        # Imported for its side effect once the app registry is ready (system checks need models).
        from kapstone.core import checks  # noqa: F401
