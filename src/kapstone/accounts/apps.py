from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kapstone.accounts"
    label = "accounts"
