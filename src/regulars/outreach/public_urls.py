"""Public outreach routes: unsubscribe links (no sign-in)."""

from django.urls import path  # noqa: F401

app_name = "outreach-public"

urlpatterns: list = []
