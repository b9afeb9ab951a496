from django.urls import path

from . import views

app_name = "followups"
urlpatterns = [
    path("<str:token>/", views.survey, name="survey"),
    path("<str:token>/stop/", views.stop, name="stop"),
]
