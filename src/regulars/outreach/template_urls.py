"""Outreach routes (template)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled by the template work
