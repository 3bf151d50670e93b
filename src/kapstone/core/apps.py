from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kapstone.core"
    label = "core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from kapstone.core import (
            checks,  # noqa: F401  (registers system checks)
            desk_queues,  # noqa: F401  (the admin's queues)
        )

        autodiscover_modules("desk")  # each app's role-desk queues (kapstone.core.desk)
