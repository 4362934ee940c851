from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "regulars.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from regulars.customers.greeting import register_card_part
        from regulars.feedback import links, subscriptions
        from regulars.feedback.card import PARTS

        for key, builder in PARTS.items():
            register_card_part(key, builder)
        subscriptions.connect()
        links.connect()
