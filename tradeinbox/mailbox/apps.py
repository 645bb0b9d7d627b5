from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "tradeinbox.mailbox"
    verbose_name = "Mailbox connection"
