from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tradeinbox.customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_queue_analysis, dispatch_uid="customers.analyse_new_messages")


def _queue_analysis(sender, message_ids, **kwargs) -> None:
    """Classify the new messages' addresses and people in the worker, not in the import."""
    from tradeinbox.worker.jobs import enqueue

    if message_ids:
        enqueue("customers.analyse_new_messages", {"message_ids": list(message_ids)})
