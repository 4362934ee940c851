"""Outreach routes (plays, what the policy held back, the contact budget), under
``/outreach/plays/`` in the ``outreach`` namespace. The fixed paths come before
``<public_id>/``."""

from django.urls import path

from regulars.outreach import held_views, play_views, policy_views

urlpatterns = [
    path("", play_views.play_list, name="plays"),
    path("new/", play_views.play_new, name="play_new"),
    path("held/", held_views.held_list, name="held"),
    path("policy/", policy_views.policy_page, name="policy"),
    path("<str:public_id>/", play_views.play_detail, name="play"),
    path("<str:public_id>/edit/", play_views.play_edit, name="play_edit"),
    path("<str:public_id>/approve/", play_views.play_approve, name="play_approve"),
    path("<str:public_id>/pause/", play_views.play_pause, name="play_pause"),
    path("<str:public_id>/resume/", play_views.play_resume, name="play_resume"),
    path("<str:public_id>/delete/", play_views.play_delete, name="play_delete"),
]
