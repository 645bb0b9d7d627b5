"""Signals other apps listen to, so the store never imports them."""

from django.dispatch import Signal

# Sent inside the transaction of each stored batch, so what receivers write (the
# visibility index, queued jobs) commits with the messages or not at all.
# ``message_ids`` lists the new messages' pks; the importer also passes ``addresses``,
# ``{pk: (address, ...)}`` (core.access.message_addresses: sender, To, Cc, Bcc), so
# receivers need not read the rows back.
messages_stored = Signal()
