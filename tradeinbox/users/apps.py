from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tradeinbox.users"
    verbose_name = "Users and sign-in"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_index_addresses, dispatch_uid="users.index_message_addresses")


def _index_addresses(sender, message_ids, parties=None, **kwargs) -> None:
    """Who may see the new messages is decided by their addresses: index them now.

    The importer hands over each message's sender and recipients (``parties``), so
    the rows are written without reading the messages back.
    """
    from tradeinbox.users.visibility import index_messages, index_parties

    if parties:
        index_parties(parties)
    elif message_ids:
        index_messages(message_ids)
