from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "kapstone.screening"
    label = "screening"
    verbose_name = "Safety screening and medical clearance"

    def ready(self) -> None:
        # The record knows nothing above it: screening gives it the intake's facts and a client's
        # dosing readiness through its hooks.
        from kapstone.clients.hooks import register_intake_facts, register_readiness_source
        from kapstone.screening.client_facts import IntakeFactsProvider
        from kapstone.screening.readiness import dosing_readiness

        register_intake_facts(IntakeFactsProvider())
        register_readiness_source(dosing_readiness)
