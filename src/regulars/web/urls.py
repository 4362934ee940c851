from django.urls import path  # noqa: F401

app_name = "web"
urlpatterns: list = []  # filled in by the web pages
