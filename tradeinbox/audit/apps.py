from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tradeinbox.audit"
    verbose_name = "Audit log"
