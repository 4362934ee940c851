"""Name-day calendar routes (the business's own calendar import)."""

from django.urls import path  # noqa: F401

app_name = "namedays"

urlpatterns: list = []  # filled by the name-day work
