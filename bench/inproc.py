"""In-process measurements against a bench database (run by bench/run.py).

    python -m bench.inproc seed                 people + token, prints JSON
    python -m bench.inproc create-queries       the SQL of one API create
    python -m bench.inproc make-messages        the ticker making what the creates asked for
    python -m bench.inproc sql-floor            one create's SQL alone, replayed (SQLite)
    python -m bench.inproc list --sizes 10000,100000 --out FILE

Lists, the board and the dashboard are timed through Django's test client — the
whole middleware, auth, ninja and serialisation path without the socket, which
the create benchmark already covers — next to the hand-written SQL returning the
same rows. Query counts come from one extra, untimed request under
CaptureQueriesContext (right after another, ``count_queries``) so that capturing
does not slow the timed ones.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongdan.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.client import ClientHandler  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from bench import data, scenarios  # noqa: E402
from bench.count import CREATE_BODY  # noqa: E402
from gongdan.core.handlers import TokenApiDispatch  # noqa: E402
from gongdan.core.models import User  # noqa: E402
from gongdan.core.services import api_token_create  # noqa: E402

BOARD_PATHS = ["/board/", "/office/board/", "/orders/board/", "/dispatch/"]
DASHBOARD_PATHS = ["/reports/", "/reports/dashboard/", "/dashboard/"]
MOBILE_PATHS = ["/m/"]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict[str, float]:
    """p50, p95 and the spread (interquartile range over the median), in ms."""
    p50 = percentile(samples, 0.5)
    iqr = percentile(samples, 0.75) - percentile(samples, 0.25)
    return {
        "p50_ms": p50 * 1000,
        "p95_ms": percentile(samples, 0.95) * 1000,
        "spread_pct": 100 * iqr / p50 if p50 else 0.0,
        "n": len(samples),
    }


_tokens: dict[str, str] = {}


class _ServerHandler(TokenApiDispatch, ClientHandler):
    """The test client's handler dispatching as ``gongdan.wsgi`` does: a call with a
    token takes the short middleware chain it takes on the server."""


def api_client(username: str) -> Client:
    if username not in _tokens:
        _, _tokens[username] = api_token_create(
            user=User.objects.get(username=username), name="bench"
        )
    client = Client(headers={"Authorization": f"Bearer {_tokens[username]}"})
    client.handler = _ServerHandler(enforce_csrf_checks=False)
    return client


def session_client(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def count_queries(call: Callable[[], Any]) -> int:
    """The queries of one request made right after another that reloaded the
    configuration a process keeps for two seconds (``gongdan.core.cache``): that
    reload happens once per expiry, not per request, and otherwise lands in the
    counted request whenever an expiry falls just before it."""
    from gongdan.core import cache

    cache.clear_all()
    call()
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def first_existing(paths: list[str]) -> str | None:
    return next((p for p in paths if exists(p)), None)


# --- commands ------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace) -> dict[str, Any]:
    people = data.seed_people()
    return {"token": people.token, "username": people.dispatcher.username}


def cmd_make_messages(args: argparse.Namespace) -> dict[str, Any]:
    """After the create runs: the ticker's notifications lane making the messages
    those creates asked for (one batch each), as ``gongdan ticker`` runs it, in one
    process, for up to ``--seconds``."""
    from gongdan.notify.models import MessageBatch
    from gongdan.notify.services import message_batches_build

    waiting = MessageBatch.objects.count()
    made = 0
    started = time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        step = message_batches_build()
        if not step:
            break
        made += step
    seconds = time.perf_counter() - started
    batches = waiting - MessageBatch.objects.count()
    return {"batches": batches, "messages": made, "seconds": seconds, "waiting": waiting}


def cmd_create_queries(args: argparse.Namespace) -> dict[str, Any]:
    data.seed_people()
    client = api_client("bench-dispatcher")

    def create() -> Any:
        response = client.post("/api/v1/work-orders", CREATE_BODY, content_type="application/json")
        assert response.status_code == 201, response.content
        return response

    create()  # warm: the first request loads caches and the token's last_used
    with CaptureQueriesContext(connection) as captured:
        create()
    return {"queries": [q["sql"] for q in captured.captured_queries]}


def cmd_sql_floor(args: argparse.Namespace) -> dict[str, Any]:
    """What a create's SQL costs without any Python of gongdan's or Django's around it:
    the statements of one API create, captured with their parameters, replayed
    ``--count`` times through Python's own sqlite3 module on the bench database with
    gongdan's PRAGMAs (each replay with its own number, its rows pointing at its own
    order), timed statement by statement; and the WAL pages one create writes."""
    if connection.vendor != "sqlite":
        return {"skipped": "SQLite only: on PostgreSQL the statements' time is the server's"}
    return sql_floor(api_client("bench-dispatcher"), args.count)


def sql_floor(client: Client, count: int) -> dict[str, Any]:
    """``cmd_sql_floor`` with a client that can create (the tests give their own)."""

    def create() -> None:
        response = client.post("/api/v1/work-orders", CREATE_BODY, content_type="application/json")
        assert response.status_code == 201, response.content

    create()  # warm: caches, the token's last use
    captured: list[tuple[str, list[Any]]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        create()
    order_table = connection.ops.quote_name("workorders_workorder")
    statements = [(sql.replace("%s", "?"), params) for sql, params in captured]
    statements.append(("COMMIT", []))
    insert = next(i for i, (sql, _) in enumerate(statements) if f"INTO {order_table} " in sql)
    order_id = _order_id_of(statements, insert)

    path = settings.DATABASES["default"]["NAME"]
    db = sqlite3.connect(path, isolation_level=None, timeout=20)
    for pragma in settings.DATABASES["default"]["OPTIONS"]["init_command"].split(";"):
        if pragma.strip():
            db.execute(pragma)
    page = db.execute("PRAGMA page_size").fetchone()[0]
    times: dict[str, list[float]] = {sql[:60]: [] for sql, _ in statements}
    wal_pages = 0
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty WAL: the first replay's pages
    for n in range(count):
        new_id = None
        for i, (sql, params) in enumerate(statements):
            values = [_plain(v) for v in params]
            if i == insert:
                values[0] = f"FLOOR-{os.getpid()}-{n}"  # the number: unique
            elif new_id is not None:
                values = [new_id if type(v) is int and v == order_id else v for v in values]
            started = time.perf_counter()
            rows = db.execute(sql, values).fetchall()
            times[sql[:60]].append(time.perf_counter() - started)
            if i == insert:
                new_id = rows[0][0]
        if n == 0:
            wal_pages = (os.path.getsize(f"{path}-wal") - 32) // (page + 24)
    db.close()
    per = {sql: 1000 * statistics.fmean(t) for sql, t in times.items()}
    commits = times["COMMIT"]
    return {
        "statements": len(statements),
        "ms_per_create": sum(per.values()),
        "ms_by_statement": dict(sorted(per.items(), key=lambda kv: -kv[1])),
        "commit_median_ms": 1000 * statistics.median(commits),
        "wal_pages_per_create": wal_pages,
        "count": count,
    }


def _order_id_of(statements: list[tuple[str, list[Any]]], insert: int) -> int:
    """The captured create's order id: the key the rows written after the order's
    carry first."""
    for _sql, params in statements[insert + 1 :]:
        if params and type(params[0]) is int:
            return params[0]
    raise SystemExit("no row after the order's points at it")


def _plain(value: Any) -> Any:
    """A value as sqlite3 takes it (choices are text subclasses)."""
    return value if type(value) in (int, float, str, bytes, type(None)) else str(value)


def time_list(scenario: scenarios.Scenario, reps: int) -> dict[str, Any]:
    client = api_client(scenario.user)
    path = scenarios.api_path(scenario)
    api_times: list[float] = []
    sql_times: list[float] = []

    def api_call() -> Any:
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        return response

    first = api_call().json()
    total, numbers = scenarios.run_hand_sql(scenario)
    same = first["count"] == total and [r["number"] for r in first["results"]] == numbers
    for _ in range(reps):
        started = time.perf_counter()
        api_call()
        api_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        scenarios.run_hand_sql(scenario)
        sql_times.append(time.perf_counter() - started)
    api = summary(api_times)
    sql = summary(sql_times)
    return {
        "scenario": scenario.name,
        "what": scenario.what,
        "rows": total,
        "api": api,
        "sql": sql,
        "queries": count_queries(api_call),
        "ratio": api["p50_ms"] / sql["p50_ms"] if sql["p50_ms"] else None,
        "same_rows": same,
    }


def time_page(path: str, username: str | None, reps: int) -> dict[str, Any]:
    client = session_client(username)
    times: list[float] = []

    def call() -> Any:
        return client.get(path)

    status = call().status_code
    if status != 200:
        return {"path": path, "status": status}
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return {"path": path, "status": 200, **summary(times), "queries": count_queries(call)}


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def page_weight(path: str, username: str | None) -> dict[str, Any]:
    """Bytes on the wire for a first visit: the HTML and every /static/ file it links,
    as the production server sends them to a browser accepting gzip and brotli."""
    client = session_client(username)
    headers = {"Accept-Encoding": "gzip, br"}
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        return {"path": path, "status": response.status_code}
    raw = _body(response)
    html = gzip.decompress(raw) if response.get("Content-Encoding") == "gzip" else raw
    total = len(raw)
    files = []
    for ref in dict.fromkeys(re.findall(rb"""(?:src|href)=["'](/static/[^"'?#]+)""", html)):
        asset = client.get(ref.decode(), headers=headers)
        size = len(_body(asset)) if asset.status_code == 200 else 0
        files.append({"path": ref.decode(), "bytes": size, "status": asset.status_code})
        total += size
    return {"path": path, "status": 200, "html_bytes": len(raw), "files": files, "total": total}


def cmd_list(args: argparse.Namespace) -> dict[str, Any]:
    people = data.seed_people()
    engineer = people.engineers[0].username
    board = first_existing(BOARD_PATHS)
    dashboard = first_existing(DASHBOARD_PATHS)
    results: dict[str, Any] = {"sizes": [], "vendor": connection.vendor}
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        added = data.generate_orders(people, size)
        generated = time.perf_counter() - started
        print(f"  {size:>9,} orders ready ({added:,} generated in {generated:.1f} s)", flush=True)
        reps = max(5, min(args.reps, int(args.reps * 10_000 / size) + 5))
        level: dict[str, Any] = {"size": size, "generate_s": generated, "lists": []}
        for scenario in scenarios.SCENARIOS:
            level["lists"].append(time_list(scenario, reps))
        level["board"] = time_page(board, people.dispatcher.username, reps) if board else None
        if size >= 100_000:
            level["dashboard"] = (
                time_page(dashboard, "bench-manager", max(3, reps // 2)) if dashboard else None
            )
        results["sizes"].append(level)
        if size == min(int(s) for s in args.sizes.split(",")):
            results["weights"] = {
                "board": page_weight(board, people.dispatcher.username) if board else None,
                "qr": page_weight("/q/IMM-0001", None) if exists("/q/IMM-0001") else None,
                "mobile": page_weight(MOBILE_PATHS[0], engineer)
                if exists(MOBILE_PATHS[0])
                else None,
            }
    results["reports_installed"] = "gongdan.reports" in settings.INSTALLED_APPS
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed")
    sub.add_parser("create-queries")
    floor = sub.add_parser("sql-floor")
    floor.add_argument("--count", type=int, default=2000)
    messages = sub.add_parser("make-messages")
    messages.add_argument("--seconds", type=float, default=20)
    lists = sub.add_parser("list")
    lists.add_argument("--sizes", default="10000,100000")
    lists.add_argument("--reps", type=int, default=30)
    for p in sub.choices.values():
        p.add_argument("--out", help="write the JSON result here instead of stdout")
    args = parser.parse_args()
    command = {
        "seed": cmd_seed,
        "create-queries": cmd_create_queries,
        "sql-floor": cmd_sql_floor,
        "make-messages": cmd_make_messages,
        "list": cmd_list,
    }
    result = command[args.command](args)
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
