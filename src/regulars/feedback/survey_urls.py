"""The public survey pages customers answer, under /s/ (no sign-in)."""

from django.urls import path

from regulars.feedback import survey_views

app_name = "survey"

urlpatterns = [
    path("", survey_views.enter_code, name="code"),
    path("<str:token>/", survey_views.answer, name="answer"),
    path("<str:token>/thanks/", survey_views.thanks, name="thanks"),
]
