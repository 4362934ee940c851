"""Loyalty pages for managers, under /loyalty/ (each view declares its capability)."""

from django.urls import path

from regulars.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # "kind": the stage's identifier ("at_risk"); the URL-wide argument name for a kind.
    path("stage/<str:kind>/", views.stage_list, name="stage"),
]
