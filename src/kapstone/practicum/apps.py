from django.apps import AppConfig


class PracticumConfig(AppConfig):
    name = "kapstone.practicum"
    label = "practicum"
    verbose_name = "Practicum ledger, requirement sets and the supervision desk"
