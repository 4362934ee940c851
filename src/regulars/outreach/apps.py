from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "regulars.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        from regulars.customers.greeting import register_card_part
        from regulars.outreach import policy
        from regulars.outreach.card import PARTS

        for key, builder in PARTS.items():
            register_card_part(key, builder)
        # Every touch a lower app makes (survey e-mails, ...) asks the contact policy.
        policy.install_guard()
