from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongdan.reports.pdf import previous_week, weekly_report_pdf
from gongdan.reports.selectors import Period


class Command(BaseCommand):
    help = "Produce a report on demand: `report weekly --week 2026-W47 --out report.pdf`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["weekly"])
        parser.add_argument("--week", help="ISO week such as 2026-W47 (default: last week)")
        parser.add_argument("--out", help="where to write the PDF (default: weekly-<week>.pdf)")
        parser.add_argument(
            "--send", action="store_true", help="also e-mail it to the managers now"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        week = options["week"] or previous_week()
        try:
            Period.iso_week(week)
        except ValueError as exc:
            raise CommandError(str(exc))
        out = Path(options["out"] or f"weekly-{week}.pdf")
        out.write_bytes(weekly_report_pdf(week))
        self.stdout.write(f"{out} ({week})")
        if options["send"]:
            from gongdan.reports.services import weekly_report_send

            dispatch = weekly_report_send(week=week, force=True)
            self.stdout.write(f"sent to {len(dispatch.recipients)} manager(s)")
