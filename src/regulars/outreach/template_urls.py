"""Outreach routes (the template editor), under ``/outreach/templates/`` in the
``outreach`` namespace."""

from django.urls import path

from regulars.outreach import template_views

_ONE = "<str:purpose>/<str:channel>/<str:language>/"

urlpatterns = [
    path("", template_views.template_list, name="templates"),
    path(_ONE, template_views.template_edit, name="template_edit"),
    path(_ONE + "preview/", template_views.template_preview, name="template_preview"),
    path(_ONE + "reset/", template_views.template_reset, name="template_reset"),
]
