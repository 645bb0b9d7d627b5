from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "tradeinbox.store"
    verbose_name = "Mail store"
