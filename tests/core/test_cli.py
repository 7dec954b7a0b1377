"""The `gongdan` command as an administrator uses it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from gongdan.core.models import ApiToken
from gongdan.core.services import api_token_authenticate


def test_apitoken_prints_a_working_token_and_stores_only_its_hash(plant, capsys):
    call_command("apitoken", "dispatcher")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("gd_")
    assert api_token_authenticate(raw) == plant.dispatcher
    assert not ApiToken.objects.filter(digest=raw).exists()


def test_apitoken_for_an_unknown_user_fails_clearly(plant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such user"):
        call_command("apitoken", "nobody")


def test_database_is_set_up_for_concurrent_writers(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # WAL: readers beside the writer; a busy timeout: writers queue, not fail.
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] >= 5000
            # Checkpoints every 10 000 pages: a hot page is copied back once per round.
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 10000
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        else:
            # Guarded updates and row locks assume PostgreSQL's default isolation.
            cursor.execute("SHOW default_transaction_isolation")
            assert cursor.fetchone()[0] == "read committed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_serve_runs_web_worker_and_ticker_and_ctrl_c_stops_them(tmp_path: Path):
    env = {
        **os.environ,
        "GONGDAN_DATA_DIR": str(tmp_path),
        "GONGDAN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    gongdan = [sys.executable, "-m", "gongdan.cli"]
    subprocess.run([*gongdan, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = _free_port()
    proc = subprocess.Popen(
        [*gongdan, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = b""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    body = r.read()
                    break
            except OSError:
                time.sleep(0.3)
        assert "登录".encode() in body
        children = _children(proc.pid)
        assert len(children) == 3  # web, worker, ticker
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert _children(proc.pid) == []
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


@pytest.mark.parametrize(("cores", "workers"), [(None, 2), (1, 2), (2, 4), (3, 6), (16, 8)])
def test_serve_runs_two_web_workers_per_core_within_bounds(monkeypatch, cores, workers):
    from gongdan.core import server

    monkeypatch.setattr(server.os, "cpu_count", lambda: cores)
    assert server.default_web_workers() == workers


def test_every_web_worker_listens_on_its_own_socket():
    from gongdan.core import server

    options = server.gunicorn_options(3)
    assert options[options.index("--workers") + 1] == "3"
    assert options[options.index("--threads") + 1] == str(server.WEB_THREADS)
    # The kernel spreads connections over the workers (a keep-alive client's
    # connections would otherwise pile up in whichever worker woke first).
    assert "--reuse-port" in options


def test_serve_refuses_a_port_something_already_listens_on(tmp_path: Path):
    env = {
        **os.environ,
        "GONGDAN_DATA_DIR": str(tmp_path),
        "GONGDAN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    with socket.socket() as first:
        first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = first.getsockname()[1]
        # Even a listener that allows sharing the port: two servers must not split it.
        result = subprocess.run(
            [sys.executable, "-m", "gongdan.cli", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is already in use" in result.stderr


def test_serve_trusts_the_same_proxies_for_the_scheme_as_for_the_address(settings):
    from gongdan.core.management.commands.serve import web_command

    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.0.0.0/8"]
    command = web_command("127.0.0.1:8000", 2)
    assert command[command.index("--forwarded-allow-ips") + 1] == "127.0.0.1,10.0.0.0/8"
    assert command[command.index("--bind") + 1] == "127.0.0.1:8000"
