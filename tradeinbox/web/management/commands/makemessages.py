"""``makemessages`` that also extracts the domain layer's ``tr("...")`` texts.

The core cannot import Django, so it marks its user-facing texts with
:func:`tradeinbox.core.i18n.tr` (translated now) and ``tr_noop`` (translated when shown);
xgettext only needs to know those two keywords. The .po files are kept by hand today
(appended per area); running ``tradeinbox manage makemessages -l zh_Hans -l es`` from the
``tradeinbox`` folder lists what is missing.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=tr", "--keyword=tr_noop"]
