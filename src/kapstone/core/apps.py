from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kapstone.core"
    label = "core"

    def ready(self) -> None:
        from kapstone.core import checks  # noqa: F401  (registers system checks)
