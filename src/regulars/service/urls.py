from django.urls import path

from regulars.service import views

app_name = "service"
urlpatterns = [
    path("walk-in/", views.walk_in, name="walk_in"),
    path("log/<str:public_id>/", views.log_visit, name="log"),
]
