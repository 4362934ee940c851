"""Staff pages of feedback, under /feedback/ (each view declares its capability)."""

from django.urls import path

from regulars.feedback import recovery_views

app_name = "feedback"

urlpatterns = [
    path("recoveries/", recovery_views.recovery_list, name="recoveries"),
    path("recoveries/<str:public_id>/", recovery_views.recovery_detail, name="recovery"),
]
