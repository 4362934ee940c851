"""Outreach routes (agenda)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled by the agenda work
