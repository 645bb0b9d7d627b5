from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "tradeinbox.users"
    verbose_name = "Users and sign-in"

    def ready(self) -> None:
        from tradeinbox.store.signals import messages_stored

        messages_stored.connect(_index_addresses, dispatch_uid="users.index_message_addresses")


def _index_addresses(sender, message_ids, **kwargs) -> None:
    """Who may see the new messages is decided by their addresses: index them now."""
    from tradeinbox.users.visibility import index_messages

    if message_ids:
        index_messages(message_ids)
