from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kapstone.clients"
    label = "clients"
    # Emergency access: the clinicians' form (Clients) and the admin's review list (Admin).
    nav_items = (
        ("Emergency access", "clients:breakglass", "breakglass.invoke", "Clients"),
        ("Emergency access review", "clients:breakglass_review", "breakglass.review", "Admin"),
    )

    def ready(self) -> None:
        from kapstone.clients import (
            breakglass,  # noqa: F401  (the admin's review queue, the header fact, the audit detail)
        )
