from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "regulars.outreach"
    label = "outreach"
    verbose_name = "Outreach"
