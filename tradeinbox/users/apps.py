from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tradeinbox.users"
    verbose_name = "Users and sign-in"
