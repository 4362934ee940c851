"""Outreach pages. Each area keeps its own routes module; this one joins them."""

from django.urls import include, path

app_name = "outreach"

urlpatterns = [
    path("agenda/", include("regulars.outreach.agenda_urls")),
    path("plays/", include("regulars.outreach.play_urls")),
    path("templates/", include("regulars.outreach.template_urls")),
    path("experiments/", include("regulars.outreach.experiment_urls")),
    path("print/", include("regulars.outreach.print_urls")),
]
