from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tradeinbox.customers"
    verbose_name = "Customers"
