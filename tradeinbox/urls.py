from django.urls import include, path

urlpatterns = [
    path("", include("tradeinbox.web.urls")),
]
