"""Evidence: the explanation every rule in :mod:`tradeinbox.core` returns.

A rule that influences a verdict (inquiry detection, grading, threat scoring ...)
records *why* as an :class:`Evidence` item, so the user interface can show the
reasons next to the verdict and a user can judge, override, or report a bad rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Evidence:
    """One rule that fired.

    ``rule`` is a stable dotted identifier (e.g. ``"grade.scam.advance_fee"``) that
    settings, tests and translations can refer to; ``weight`` is the rule's signed
    contribution in its own scoring scale (positive pushes towards the verdict the
    caller is building); ``detail`` is a short human-readable explanation, usually
    quoting the text that triggered the rule.
    """

    rule: str
    weight: float
    detail: str

    def as_dict(self) -> dict[str, str | float]:
        """JSON-ready form (for the CLI's ``--json`` output and the database)."""
        return {"rule": self.rule, "weight": self.weight, "detail": self.detail}
