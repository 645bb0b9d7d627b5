from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tradeinbox.users"
    verbose_name = "Users and sign-in"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_index_addresses, dispatch_uid="users.index_message_addresses")


def _index_addresses(sender, message_ids, addresses=None, **kwargs) -> None:
    """Who may see the new messages is decided by their addresses: index them now.

    The importer hands over each message's addresses (``addresses``), so the rows
    are written without reading the messages back.
    """
    from tradeinbox.users.visibility import index_addresses, index_messages

    if addresses:
        index_addresses(addresses)
    elif message_ids:
        index_messages(message_ids)
