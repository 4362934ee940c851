"""Outreach routes (experiment reports), under ``/outreach/experiments/`` in the
``outreach`` namespace."""

from django.urls import path

from regulars.outreach import experiment_views

urlpatterns = [
    path("", experiment_views.experiment_list, name="experiments"),
    # "public_id": the play's.
    path("<str:public_id>/", experiment_views.experiment, name="experiment"),
]
