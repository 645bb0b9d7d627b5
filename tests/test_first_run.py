"""Small things a newcomer meets on the first run (``bash scripts/run.sh``): a quiet
console, dates that show in every language, evidence a person can read."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.utils import translation

from tradeinbox.core.deals.cadence import CadenceSettings, CadenceState, Touch, next_action


def test_bounce_detector_does_not_flood_the_console():
    # flufl.bounce logs every detector it tries at INFO: ~20 lines for each mail read.
    assert logging.getLogger("flufl.bounce").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("tradeinbox.worker.loop").getEffectiveLevel() <= logging.INFO


def test_quote_date_inputs_keep_iso_values_in_chinese():
    from tradeinbox.quotes.forms import QuoteForm

    form = QuoteForm(initial={"issued_on": date(2026, 11, 22), "rate_date": date(2026, 11, 2)})
    with translation.override("zh-hans"):
        # <input type="date"> shows nothing for a value like 2026/11/22.
        assert 'value="2026-11-22"' in str(form["issued_on"])
        assert 'value="2026-11-02"' in str(form["rate_date"])


def test_cadence_evidence_shows_moments_without_iso_punctuation():
    start = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    touches = [Touch(start, "out"), Touch(start + timedelta(days=4), "in", channel="email")]
    state = CadenceState("deal1", "anna", "C", "quoted", touches)
    decision = next_action(state, start + timedelta(days=5), CadenceSettings())
    assert "on 2026-03-14 02:00 UTC" in decision.reason, decision.reason
    assert "T02:00" not in decision.reason and "+00:00" not in decision.reason
