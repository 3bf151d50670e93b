from django.apps import AppConfig


class ToolingConfig(AppConfig):
    name = "kapstone.tooling"
    label = "tooling"
    verbose_name = "Tooling: demo, synthetic data, benchmark baselines"
