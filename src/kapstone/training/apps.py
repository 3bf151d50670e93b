from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "kapstone.training"
    label = "training"
    verbose_name = "Training: curriculum, knowledge checks, competencies, journal"

    def ready(self) -> None:
        from kapstone.shell.navigation import register_dashboard_section
        from kapstone.training.dashboard import training_section

        register_dashboard_section(training_section)
