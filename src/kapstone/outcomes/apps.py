from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "kapstone.outcomes"
    label = "outcomes"
    verbose_name = "Program outcomes (cohort aggregates)"

    def ready(self) -> None:
        # Outcomes stands on measures and care; they tell it about changes through their hooks.
        from kapstone.care.hooks import register_cohort_listener
        from kapstone.measures.hooks import register_response_listener, register_thresholds_listener
        from kapstone.outcomes.services import client_cohort_changed, response_recorded, thresholds_changed

        register_response_listener(response_recorded)
        register_thresholds_listener(thresholds_changed)
        register_cohort_listener(client_cohort_changed)
