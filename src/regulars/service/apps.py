from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "regulars.service"
    label = "service"
    verbose_name = "Service"

    def ready(self) -> None:
        from regulars.customers.greeting import register_card_part
        from regulars.service.card import PARTS

        for key, builder in PARTS.items():
            register_card_part(key, builder)
