from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "kapstone.notes"
    label = "notes"
    verbose_name = "Progress notes and psychotherapy notes"

    def ready(self) -> None:
        from kapstone.notes.dashboard import cosign_section
        from kapstone.shell.navigation import register_dashboard_section

        register_dashboard_section(cosign_section)
