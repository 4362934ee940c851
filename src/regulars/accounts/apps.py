from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "regulars.accounts"
    label = "accounts"
    verbose_name = "Accounts"
