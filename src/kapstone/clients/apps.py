from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "kapstone.clients"
    label = "clients"
