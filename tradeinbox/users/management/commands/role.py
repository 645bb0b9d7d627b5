"""``tradeinbox manage role USER ROLE [--team NAME]``: give a user a role (and team).

``tradeinbox manage role --list`` shows everyone's role and team. The first role given
ends single-user mode: from then on users without a role are salespeople.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tradeinbox import audit
from tradeinbox.users.models import Membership
from tradeinbox.users.roles import ROLES, assign_role, role_of


class Command(BaseCommand):
    help = "give a user a role (admin, manager, salesperson) and optionally a team"

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?")
        parser.add_argument("role", nargs="?", choices=ROLES)
        parser.add_argument("--team", default=None, help="team name (created if new)")
        parser.add_argument("--no-team", action="store_true", help="remove from any team")
        parser.add_argument("--list", action="store_true", help="list users and roles")

    def handle(self, *args, **options) -> None:
        users = get_user_model().objects.order_by("username")
        if options["list"]:
            for user in users:
                row = Membership.objects.filter(user=user).select_related("team").first()
                team = row.team.name if row and row.team else "-"
                self.stdout.write(f"{user.get_username()}\t{role_of(user)}\t{team}")
            return
        if not options["username"] or not options["role"]:
            raise CommandError("give USER and ROLE, or --list")
        user = users.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        before = Membership.objects.filter(user=user).select_related("team").first()
        team = options["team"]
        if team is None and not options["no_team"] and before is not None:
            team = before.team  # keep the team unless told otherwise
        row = assign_role(user, options["role"], team)
        audit.record(
            None,
            "role.assign",
            row,
            before={"role": before.role, "team": str(before.team or "")} if before else None,
            after={"user": user.get_username(), "role": row.role, "team": str(row.team or "")},
        )
        self.stdout.write(f"{user.get_username()}: {row.role}, team {row.team or '-'}")
