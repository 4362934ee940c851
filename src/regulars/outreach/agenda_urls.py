"""Outreach routes (agenda): the staff's agenda, recording calls, redeeming vouchers."""

from django.urls import path

from regulars.outreach import agenda_views

urlpatterns = [
    path("", agenda_views.agenda, name="agenda"),
    path("calls/done/", agenda_views.call_done, name="call_done"),
    path("redeem/", agenda_views.redeem, name="redeem"),
]
