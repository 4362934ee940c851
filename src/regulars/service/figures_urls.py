from django.urls import path

from regulars.service import figures_views

app_name = "figures"
urlpatterns = [
    path("", figures_views.page, name="page"),
]
