from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "tradeinbox.outbound"
    verbose_name = "Outbound health"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_queue_feedback, dispatch_uid="outbound.read_feedback")


def _queue_feedback(sender, message_ids, **kwargs) -> None:
    """Bounces, complaints and replies to campaigns are read in the worker, not the import."""
    from tradeinbox.worker.jobs import enqueue

    if message_ids:
        enqueue("outbound.read_feedback", {"message_ids": list(message_ids)})
