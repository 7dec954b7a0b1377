from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve gongdan: web server, task worker and ticker. Ctrl-C stops all three."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        gongdan = [sys.executable, "-m", "gongdan.cli"]
        env = os.environ.copy()
        if not settings.DEBUG:
            # Hashed, compressed static files for the web processes started below.
            env["GONGDAN_STATIC_MANIFEST"] = "1"
            subprocess.run([*gongdan, "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
        bind = f"{options['host']}:{options['port']}"
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "gongdan.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ]
        if settings.REDIS_URL:
            worker = [*gongdan, "rqworker", "default", "--with-scheduler"]
        else:
            worker = [*gongdan, "db_worker", "--no-reload", "--interval", "0.5"]
        ticker = [*gongdan, "ticker"]
        procs = {
            "web": subprocess.Popen(web, env=env),
            "worker": subprocess.Popen(worker, env=env),
            "ticker": subprocess.Popen(ticker, env=env),
        }
        self.stdout.write(
            self.style.SUCCESS(f"gongdan is serving on http://{bind}/  (Ctrl-C stops it)")
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
