from __future__ import annotations

import signal
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from gongdan.core import ticker


class Command(BaseCommand):
    help = "Find due deadlines, escalations and deferred messages and enqueue them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=15.0)
        parser.add_argument("--once", action="store_true", help="run one tick and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        # Importing each app's `due` module registers its finders.
        for config in apps.get_app_configs():
            if config.name.startswith("gongdan."):
                try:
                    __import__(f"{config.name}.due")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.due":
                        raise
        if options["once"]:
            self.stdout.write(str(ticker.tick()))
            return
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ticker.run_forever(options["interval"], stop=lambda: stopping)
