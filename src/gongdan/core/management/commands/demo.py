"""`gongdan demo [--if-empty] [--weeks N]`: load the demo plant and print its logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongdan.core.demo import DEMO_PASSWORD, SEED, demo_load, demo_loaded, demo_logins
from gongdan.workorders.models import WorkOrder


class Command(BaseCommand):
    help = (
        "Load the demo plant (an injection-moulding machine maker: people, 30 machines, "
        "weeks of order history). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the demo is loaded or the database already holds orders",
        )
        parser.add_argument(
            "--weeks", type=int, default=8, help="weeks of order history (default 8)"
        )
        parser.add_argument("--seed", type=int, default=SEED, help="random seed of the history")

    def handle(self, *args: Any, **options: Any) -> None:
        # A database with orders of its own is in use: --if-empty never adds demo rows to it.
        if options["if_empty"] and (demo_loaded() or WorkOrder.objects.exists()):
            self._print_logins()
            return
        if options["weeks"] < 0:
            options["weeks"] = 0
        started = time.monotonic()
        context = demo_load(
            weeks=options["weeks"],
            seed=options["seed"],
            warn=lambda message: self.stderr.write(f"warning: {message}"),
        )
        created = context["orders_created"]
        self.stdout.write(
            f"Demo ready: {len(context['users'])} accounts, {len(context['assets'])} machines, "
            f"{context['orders'].count()} demo orders ({created} new) "
            f"in {time.monotonic() - started:.1f}s."
        )
        self._print_logins()

    def _print_logins(self) -> None:
        logins = demo_logins()
        if not logins:
            return
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        width = max(len(username) for username, _, _ in logins)
        for username, name, role in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role} · {name}")
