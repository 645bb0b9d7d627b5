"""tradeinbox: a self-hosted email CRM for export sales teams."""

from __future__ import annotations

import os

__version__ = "0.1.0"


def setup_django() -> None:
    """Configure Django once, for commands that touch the database or templates.

    Commands that need neither (``analyze``, ``lint``, ``quote`` ...) never call this,
    so they start fast and run without a data folder.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeinbox.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
