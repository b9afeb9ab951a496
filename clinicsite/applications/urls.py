from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.start, name="start"),
    path("review/", views.review, name="review"),
    path("received/", views.received, name="received"),
    path("save/", views.save, name="save"),
    path("start-over/", views.start_over, name="start_over"),
    path("resume/choose/", views.resume_choose, name="resume_choose"),
    path("resume/<str:token>/", views.resume, name="resume"),
    path("status/<str:token>/", views.status, name="status"),
    path("<slug:name>/", views.step, name="step"),
]
