from django.urls import path

from regulars.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", views.password_change_done, name="password_change_done"),
    path("preferences/", views.preferences, name="preferences"),
    path("locations/", views.location_list, name="locations"),
    path("locations/new/", views.location_edit, name="location_new"),
    path("locations/<int:location_id>/", views.location_edit, name="location_edit"),
]
