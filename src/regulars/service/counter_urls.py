from django.urls import path

from regulars.service import care_views, counter

app_name = "counter"
urlpatterns = [
    path("", counter.page, name="page"),
    path("search/", counter.search, name="search"),
    path("new/", counter.quick_add, name="quick_add"),
    path("customer/<str:public_id>/", counter.card, name="card"),
    path("customer/<str:public_id>/visit/", counter.log_visit, name="log_visit"),
    path("wait/", care_views.wait_start, name="wait_start"),
    path("wait/<int:wait_id>/served/", care_views.wait_served, name="wait_served"),
    path("wait/<int:wait_id>/cancel/", care_views.wait_cancel, name="wait_cancel"),
]
