from django.urls import path

from regulars.web import health, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("health/", health.health, name="health"),
]
