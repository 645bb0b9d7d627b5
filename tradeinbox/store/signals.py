"""Signals other apps listen to, so the store never imports them."""

from django.dispatch import Signal

# Sent after a batch of new messages is committed; ``message_ids`` lists their pks.
messages_stored = Signal()
