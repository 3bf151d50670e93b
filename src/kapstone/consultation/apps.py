from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "kapstone.consultation"
    label = "consultation"
    verbose_name = "Case consultation (de-identified cases)"
