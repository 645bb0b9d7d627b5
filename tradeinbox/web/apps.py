from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tradeinbox.web"
    verbose_name = "Web interface"
