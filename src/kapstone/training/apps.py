from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "kapstone.training"
    label = "training"
    verbose_name = "Training: curriculum, knowledge checks, competencies, journal"
