from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongdan.core.server import default_web_workers, gunicorn_options, port_taken


def static_is_stale() -> bool:
    """True if collectstatic has never run or a source file changed since it did."""
    marker = Path(settings.STATIC_ROOT) / ".collected"
    if not marker.exists():
        return True
    collected = marker.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if os.path.getmtime(storage.path(path)) > collected:
                return True
    return False


def web_command(bind: str, workers: int) -> list[str]:
    """gunicorn serving gongdan. The proxies trusted for the client's address
    (``FORWARDED_ALLOW_IPS``) are the ones it takes the scheme from (https behind
    nginx or Caddy)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "gongdan.wsgi:application",
        "--bind",
        bind,
        *gunicorn_options(workers),
        "--forwarded-allow-ips",
        ",".join(settings.FORWARDED_ALLOW_IPS),
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = "Serve gongdan: web server, task worker and ticker. Ctrl-C stops all three."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=default_web_workers(),
            help="web worker processes (default: two per core, 2–8)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if port_taken(options["host"], options["port"]):
            raise CommandError(
                f"{options['host']}:{options['port']} is already in use — is gongdan already"
                " running? Stop it, or serve on another --port."
            )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        gongdan = [sys.executable, "-m", "gongdan.cli"]
        env = os.environ.copy()
        if not settings.DEBUG and static_is_stale():
            # Compressed static files for the web processes started below; collected
            # again only when a source file changed, so restarts are quick.
            self.stdout.write("Collecting static files…")
            collect = [*gongdan, "collectstatic", "--noinput", "-v", "0", "--ignore", "*.map"]
            if subprocess.run(collect, env=env).returncode == 0:
                (Path(settings.STATIC_ROOT) / ".collected").touch()
        bind = f"{options['host']}:{options['port']}"
        commands = {
            "web": web_command(bind, options["workers"]),
            "worker": [
                *gongdan,
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                "django_tasks_rq.Job",
            ]
            if settings.REDIS_URL
            else [*gongdan, "db_worker", "--no-reload", "--interval", "0.5"],
            "ticker": [*gongdan, "ticker"],
        }
        procs: dict[str, subprocess.Popen[bytes]] = {}
        if not stopping:
            procs = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
            self.stdout.write(
                self.style.SUCCESS(f"gongdan is serving on http://{bind}/  (Ctrl-C stops it)")
            )
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping")
                        stopping = True
                time.sleep(0.3)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
