from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "regulars.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from regulars.customers.search.index import connect_signals

        connect_signals()
