"""Staff pages of feedback, under /feedback/ (each view declares its capability)."""

from django.urls import path

from regulars.feedback import dashboard_views, recovery_views, slip_views
from regulars.feedback import settings_views as survey_settings

app_name = "feedback"

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("comments/", dashboard_views.comments, name="comments"),
    path("invitations/<str:public_id>/slip/", slip_views.slip, name="slip"),
    path("recoveries/", recovery_views.recovery_list, name="recoveries"),
    path("recoveries/<str:public_id>/", recovery_views.recovery_detail, name="recovery"),
    path("surveys/", survey_settings.survey_list, name="surveys"),
    path("surveys/limits/", survey_settings.policy_update, name="survey_policy"),
    path("surveys/new/", survey_settings.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", survey_settings.survey_edit, name="survey"),
    path("surveys/<int:pk>/delete/", survey_settings.survey_delete, name="survey_delete"),
    path(
        "surveys/<int:pk>/deactivate/", survey_settings.survey_deactivate, name="survey_deactivate"
    ),
    path("surveys/<int:pk>/preview/", survey_settings.survey_preview, name="survey_preview"),
    path(
        "surveys/<int:pk>/questions/new/", survey_settings.question_new, name="survey_question_new"
    ),
    path("surveys/questions/<int:pk>/", survey_settings.question_edit, name="survey_question"),
    path(
        "surveys/questions/<int:pk>/delete/",
        survey_settings.question_delete,
        name="survey_question_delete",
    ),
]
