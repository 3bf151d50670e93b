from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapstone.screening"
    label = "screening"
    verbose_name = "Safety screening and medical clearance"
