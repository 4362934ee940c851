from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "regulars.service"
    label = "service"
    verbose_name = "Service"

    def ready(self) -> None:
        from regulars.customers.greeting import register_card_part
        from regulars.service.card import KEY, open_tickets_part

        register_card_part(KEY, open_tickets_part)
