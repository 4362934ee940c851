"""Outreach routes (print)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled by the print work
