from django.urls import path

from tradeinbox.triage import views

app_name = "triage"

urlpatterns = [
    path("", views.triage_list, name="list"),
    path("messages/<int:pk>/mark/", views.mark, name="mark"),
]
