"""Staff pages of feedback, under /feedback/ (each view declares its capability)."""

from django.urls import path

from regulars.feedback import dashboard_views, recovery_views

app_name = "feedback"

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("comments/", dashboard_views.comments, name="comments"),
    path("recoveries/", recovery_views.recovery_list, name="recoveries"),
    path("recoveries/<str:public_id>/", recovery_views.recovery_detail, name="recovery"),
]
