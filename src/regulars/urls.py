from django.urls import include, path

urlpatterns = [
    path("accounts/", include("regulars.accounts.urls")),
    path("customers/name-days/", include("regulars.customers.namedays_urls")),
    path("customers/", include("regulars.customers.urls")),
    path("import/", include("regulars.customers.importers.urls")),
    path("visits/", include("regulars.service.urls")),
    path("counter/", include("regulars.service.counter_urls")),
    path("tickets/", include("regulars.service.ticket_urls")),
    path("service/figures/", include("regulars.service.figures_urls")),
    path("service/", include("regulars.service.care_urls")),
    path("feedback/", include("regulars.feedback.urls")),
    path("s/", include("regulars.feedback.survey_urls")),
    path("loyalty/", include("regulars.loyalty.urls")),
    path("outreach/", include("regulars.outreach.urls")),
    path("o/", include("regulars.outreach.public_urls")),
    path("", include("regulars.web.urls")),
]
