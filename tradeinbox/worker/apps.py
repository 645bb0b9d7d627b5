from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "tradeinbox.worker"
    verbose_name = "Background work"
