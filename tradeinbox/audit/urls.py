"""Included by the root URLconf as ``path("audit/", include("tradeinbox.audit.urls"))``."""

from django.urls import path

from tradeinbox.audit import views

app_name = "audit"

urlpatterns = [path("", views.audit_list, name="list")]
