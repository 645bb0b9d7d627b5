"""Deals: stages, reply deadlines in business hours, follow-up cadences, consolidation
mails, calendar/contact/CSV exports and dashboard charts (issue 7).

Pure Python over plain dataclasses, like the rest of :mod:`tradeinbox.core`: the Django app
loads rows, builds the facts these functions take, and stores what they return. Every
decision carries its :class:`~tradeinbox.core.evidence.Evidence`.
"""
