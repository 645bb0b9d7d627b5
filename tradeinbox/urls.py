from django.urls import include, path

urlpatterns = [
    path("customers/", include("tradeinbox.customers.urls")),
    path("", include("tradeinbox.web.urls")),
]
