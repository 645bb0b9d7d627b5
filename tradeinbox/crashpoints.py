"""Named crash points, so a crash test can kill a process at an exact step.

``TRADEINBOX_CRASH_AT="<name>:<n>"`` makes the *n*-th pass through ``crash_point(name)``
send the process SIGKILL: the same as ``kill -9`` from outside (no ``finally``, no
``atexit``, no flushed buffers, open transactions left to the database to roll back),
but at a chosen moment instead of a random one. Random delays rarely land in the few
milliseconds between, say, writing an outbox row's phase and sending the final dot;
these points do. ``bench/crash_harness.py`` uses both.

Unset (always, outside tests), a crash point costs one comparison. The variable is read
once at import; processes forked from a marked one (parse pools) inherit it but never
pass through the points, which are all in the storing and sending code.
"""

from __future__ import annotations

import os
import signal

_name, _sep, _count = os.environ.get("TRADEINBOX_CRASH_AT", "").partition(":")
_TARGET: tuple[str, int] | None = (_name, int(_count or "1")) if _name else None
_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here with SIGKILL if ``TRADEINBOX_CRASH_AT`` names this point and pass."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= _TARGET[1]:
        os.kill(os.getpid(), signal.SIGKILL)
