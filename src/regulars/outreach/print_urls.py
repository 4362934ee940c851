"""Outreach routes (print batches), under ``/outreach/print/`` in the ``outreach``
namespace."""

from django.urls import path

from regulars.outreach import print_views

urlpatterns = [
    path("", print_views.batch_list, name="print"),
    path("make/", print_views.batch_make, name="print_make"),
    path("<str:public_id>/cards.pdf", print_views.batch_cards, name="print_cards"),
    path("<str:public_id>/labels.pdf", print_views.batch_labels, name="print_labels"),
]
