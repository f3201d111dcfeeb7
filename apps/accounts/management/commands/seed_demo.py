"""`manage.py seed_demo`: load the synthetic demo data and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.demo import demo_logins, demo_seed


class Command(BaseCommand):
    help = (
        "Create or update the synthetic demo organization, facilities, doctors, patients, "
        "staff, admin and platform owner. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-without-debug", action="store_true",
            help="Seed even with DEBUG off. The demo password is published: never in "
                 "production.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo accounts include a platform owner whose password is in the README.
        if not (settings.DEBUG or settings.TESTING or options["allow_without_debug"]):
            raise CommandError(
                "seed_demo creates accounts with a published password and refuses to run "
                "with DEBUG off. Pass --allow-without-debug if this is not production."
            )
        password: str = settings.DEMO_PASSWORD
        if not password:
            raise CommandError("DEMO_PASSWORD is empty.")

        report = demo_seed(password=password)

        if report.changed:
            created = ", ".join(f"{count} {what}" for what, count in sorted(report.created.items()))
            updated = ", ".join(f"{count} {what}" for what, count in sorted(report.updated.items()))
            self.stdout.write(f"Demo data: created {created or 'nothing'}; "
                              f"updated {updated or 'nothing'}.")
        else:
            self.stdout.write("Demo data already up to date.")
        self._print_logins(password)

    def _print_logins(self, password: str) -> None:
        rows = demo_logins()
        width = max(len(what) for what, _email in rows)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins"))
        for what, email in rows:
            self.stdout.write(f"  {what.ljust(width)}  {email}")
        self.stdout.write(
            "  (also patient2-5, doctor2-22 and staff2-3 at the same domain)"
        )
        self.stdout.write(f"  password: {password}")
