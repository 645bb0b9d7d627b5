"""The demo mailbox: realistic export-trade correspondence for a first look at tradeinbox.

``MAILBOX_DIR`` is an ordinary folder of RFC 5322 ``.eml`` files that
``tradeinbox import`` reads; ``README.md`` beside this file lists what each one shows.
``DEMO_NOW`` is the moment the demo story is "now" (just after the newest mail), for
features that compare with the current time (follow-ups due, "3 days ago").
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

MAILBOX_DIR = Path(__file__).parent / "mailbox"
DEMO_NOW = datetime(2026, 11, 20, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
