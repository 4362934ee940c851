"""Public outreach routes: unsubscribe links (no sign-in)."""

from django.urls import path

from regulars.outreach import public_views

app_name = "outreach-public"

urlpatterns = [
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
]
