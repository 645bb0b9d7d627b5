"""URLconf for customer tests until the lead mounts the app in tradeinbox/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("customers/", include("tradeinbox.customers.urls")),
    path("", include("tradeinbox.web.urls")),
]
