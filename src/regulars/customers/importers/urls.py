from django.urls import path

from regulars.customers.importers import views

app_name = "importers"
urlpatterns = [
    path("", views.start, name="start"),
    path("<str:public_id>/", views.job, name="job"),
    path("<str:public_id>/progress/", views.progress, name="progress"),
    path("<str:public_id>/report/", views.report, name="report"),
    path("<str:public_id>/again/", views.again, name="again"),
]
