"""gunicorn's logger with addresses masked (``tradeinbox run`` passes ``--logger-class``).

gunicorn writes its access and error logs through loggers of its own, outside Django's
``LOGGING``; without this, every search for ``from:ana@buyer.example`` would put the
buyer's address in the access log (as ``from%3Aana%40buyer.example``) and in the
referrer of the next request.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from tradeinbox.logredact import RedactAddressesFilter


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactAddressesFilter) for f in log.filters):
                log.addFilter(RedactAddressesFilter())
