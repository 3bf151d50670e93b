from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "kapstone.care"
    label = "care"
    verbose_name = "Treatment courses and dosing sessions"

    def ready(self) -> None:
        from kapstone.care.dashboard import care_section
        from kapstone.care.hooks import dosing_dates
        from kapstone.care.nav import dosing_nav
        from kapstone.care.selectors import upcoming_sessions
        from kapstone.clients.hooks import register_upcoming_sessions_source
        from kapstone.measures.hooks import register_dosing_marker_source
        from kapstone.shell.navigation import register_dashboard_section, register_nav_links

        register_dosing_marker_source(dosing_dates)
        register_dashboard_section(care_section)
        register_nav_links("Dosing", "dosing.record", dosing_nav)  # who may record may monitor
        register_upcoming_sessions_source(upcoming_sessions)
