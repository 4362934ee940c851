from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "regulars.service"
    label = "service"
    verbose_name = "Service"
