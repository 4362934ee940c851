"""Outreach routes (experiment)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled by the experiment work
