"""Name-day calendar routes (the business's own calendar import), under
/customers/name-days/ (each view declares its capability)."""

from django.urls import path

from regulars.customers import namedays_views

app_name = "namedays"

urlpatterns = [
    path("", namedays_views.page, name="page"),
]
