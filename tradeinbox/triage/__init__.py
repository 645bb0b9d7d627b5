"""Inquiry triage in the web app: stored grades, threat verdicts, reply deadlines and
the users' corrections ("mark wrong"). The analysis itself is :mod:`tradeinbox.core.triage`."""
