from django.urls import path

from regulars.service import care_views

app_name = "care"
urlpatterns = [
    path("returns/new/<str:public_id>/", care_views.return_new, name="return_new"),
    path("promises/new/<str:public_id>/", care_views.promise_new, name="promise_new"),
    path("promises/<str:promise_id>/close/", care_views.promise_close, name="promise_close"),
    path("follow-ups/<int:follow_up_id>/", care_views.follow_up, name="follow_up"),
]
