from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "regulars.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from regulars.customers.greeting import register_card_part
        from regulars.loyalty.card import PARTS

        for key, builder in PARTS.items():
            register_card_part(key, builder)
