from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "tradeinbox.triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_queue_triage, dispatch_uid="triage.analyse_messages")


def _queue_triage(sender, message_ids, **kwargs) -> None:
    """Grade new mail in the worker, never inside the import transaction."""
    from tradeinbox.worker.jobs import enqueue

    if message_ids:
        enqueue("triage.analyse_messages", {"message_ids": list(message_ids)})
