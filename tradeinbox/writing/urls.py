"""Included by the root URLconf as ``path("writing/", include("tradeinbox.writing.urls"))``."""

from django.urls import path

from tradeinbox.writing import views

app_name = "writing"

urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_add"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("compose/panel/", views.panel, name="panel"),
    path("compose/check/", views.check, name="check"),
]
