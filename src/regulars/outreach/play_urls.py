"""Outreach routes (play)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # filled by the play work
