"""The audit log. Call :func:`record` where a change happens (one line)::

from tradeinbox import audit
audit.record(request, "merge.confirm", proposal, before=..., after=...)
"""


def record(who, action: str, obj=None, **details):
    """Write one entry; see :func:`tradeinbox.audit.log.record`."""
    from tradeinbox.audit.log import record as _record

    return _record(who, action, obj, **details)
