from django.apps import AppConfig


class ShellConfig(AppConfig):
    name = "kapstone.shell"
    label = "shell"

    def ready(self) -> None:
        # Imported once the app registry is ready: the admin's queues query models.
        from django.utils.module_loading import autodiscover_modules

        from kapstone.shell import desk_queues  # noqa: F401

        autodiscover_modules("desk")  # each app's role-desk queues (kapstone.shell.desk)
