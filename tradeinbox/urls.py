from django.urls import include, path

urlpatterns = [
    path("customers/", include("tradeinbox.customers.urls")),
    path("mailbox/", include("tradeinbox.mailbox.urls")),
    path("", include("tradeinbox.web.urls")),
]
