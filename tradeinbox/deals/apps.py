from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "tradeinbox.deals"
    verbose_name = "Deals"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_queue_linking, dispatch_uid="deals.process_messages")


def _queue_linking(sender, message_ids, **kwargs) -> None:
    """Thread new messages into deals, start their reply clocks and stop follow-ups in the
    worker, not in the import. Queued after the customers analysis of the same batch (the
    worker takes jobs in order), so people and companies usually exist already; deals whose
    people were not known yet are completed by the next ``deals.tick``."""
    from tradeinbox.worker.jobs import enqueue

    if message_ids:
        enqueue("deals.process_messages", {"message_ids": list(message_ids)})
