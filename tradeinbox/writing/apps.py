from django.apps import AppConfig


class WritingConfig(AppConfig):
    name = "tradeinbox.writing"
    verbose_name = "Writing assistant"
