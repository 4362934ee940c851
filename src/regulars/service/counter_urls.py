from django.urls import path

from regulars.service import counter

app_name = "counter"
urlpatterns = [
    path("", counter.page, name="page"),
    path("search/", counter.search, name="search"),
    path("new/", counter.quick_add, name="quick_add"),
    path("customer/<str:public_id>/", counter.card, name="card"),
    path("customer/<str:public_id>/visit/", counter.log_visit, name="log_visit"),
]
