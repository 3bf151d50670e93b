from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "kapstone.measures"
    label = "measures"

    def ready(self) -> None:
        from kapstone.measures import checks  # noqa: F401  (registers the system check)
        from kapstone.measures.dashboard import safety_section
        from kapstone.shell.navigation import register_dashboard_section

        register_dashboard_section(safety_section)
