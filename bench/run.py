"""`make bench`: set up, measure, print one table.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--million] [--quick]
    .venv/bin/python bench/run.py --instructions [--db …]   in-process create, counted

Everything it makes lives under bench/.work/ (git-ignored): the django-helpdesk
venv, a py-spy venv, the SQLite files, logs and results. PostgreSQL is the local
server (BENCH_PG_HOST/PORT/USER/PASSWORD, default postgres@127.0.0.1:5432); its
bench_* databases are dropped and recreated on every run.

Create: gongdan, django-helpdesk and the bare-INSERT limit each run under the
same gunicorn command (gthread, sized and balanced as `gongdan serve` starts
it: gongdan.core.server.gunicorn_options), DEBUG off, on the same database
engine, driven by wrk (one thread; it is not the bottleneck) at several
connection counts. Rounds interleave the three
servers so drift hits them alike; each figure is the median over rounds and the
spread is (max - min) / median.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
PEERS = BENCH / "peers"
# The project's venv; BENCH_VENV lets a snapshot of another commit reuse it.
VENV = Path(os.environ.get("BENCH_VENV", ROOT / ".venv")) / "bin"
HELPDESK_VENV = WORK / "venv-helpdesk"
TOOLS_VENV = WORK / "venv-tools"
PY_SPY = "py-spy==0.4.3"
# Every server is sized as `gongdan serve` sizes gongdan (gongdan/core/server.py).
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
from bench.count import CREATE_BODY  # noqa: E402
from gongdan.core.server import WEB_THREADS as THREADS  # noqa: E402
from gongdan.core.server import default_web_workers, gunicorn_options  # noqa: E402

WORKERS = default_web_workers()
PORTS = {"gongdan": 8781, "helpdesk": 8782, "limit": 8783}


def log(message: str) -> None:
    print(message, flush=True)


def sh(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("check", True)
    kwargs.setdefault("text", True)
    return subprocess.run(cmd, **kwargs)


# --- setup -------------------------------------------------------------------------


def ensure_tool(name: str) -> str:
    """A command from Debian's package of the same name, installed when missing."""
    found = shutil.which(name)
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit(f"{name} is missing: apt-get install -y {name} (needs root)")
    log(f"installing {name} from Debian's packages …")
    quiet = {"stdout": subprocess.DEVNULL}
    if sh(["apt-get", "install", "-y", name], check=False, **quiet).returncode != 0:
        sh(["apt-get", "update"], **quiet)
        sh(["apt-get", "install", "-y", name], **quiet)
    return shutil.which(name) or sys.exit(f"{name} could not be installed")


def ensure_wrk() -> str:
    return ensure_tool("wrk")


def _locked(names: tuple[str, ...]) -> list[str]:
    """Lines of requirements.lock for these packages: the peers run the same server."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return [ln for ln in lines if ln.split("==")[0].lower() in names]


def ensure_venv(path: Path, requirements: list[str]) -> None:
    stamp = path / ".bench-installed"
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    log(f"creating {path.relative_to(ROOT)} …")
    shutil.rmtree(path, ignore_errors=True)
    sh([sys.executable, "-m", "venv", str(path)])
    sh([str(path / "bin" / "pip"), "install", "--quiet", *requirements], stderr=subprocess.DEVNULL)
    stamp.write_text(digest)


def helpdesk_requirements() -> list[str]:
    own = [
        ln.strip()
        for ln in (PEERS / "requirements-helpdesk.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    pins = _locked(("django", "gunicorn", "psycopg", "psycopg-binary"))
    return own + pins


# --- databases ---------------------------------------------------------------------


@dataclass
class Engine:
    name: str  # sqlite | postgres
    dir: Path
    pg: dict[str, str] = field(default_factory=dict)

    def db_env(self, project: str) -> dict[str, str]:
        """Environment telling a project which database to use."""
        if self.name == "sqlite":
            return {"BENCH_DB_ENGINE": "sqlite", "BENCH_DB_NAME": str(self.dir / f"{project}.db")}
        return {
            "BENCH_DB_ENGINE": "postgres",
            "BENCH_DB_NAME": f"bench_{project}",
            "BENCH_PG_HOST": self.pg["host"],
            "BENCH_PG_PORT": self.pg["port"],
            "BENCH_PG_USER": self.pg["user"],
            "BENCH_PG_PASSWORD": self.pg["password"],
        }

    def gongdan_env(self, project: str) -> dict[str, str]:
        data_dir = self.dir / project
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "GONGDAN_DATA_DIR": str(data_dir),
            "GONGDAN_DEBUG": "0",
            "GONGDAN_SECRET_KEY": "bench-not-secret-" + project,
            "GONGDAN_LOG_LEVEL": "WARNING",
            # Hashed, pre-compressed static files, as `gongdan serve` sets up; the list
            # project runs collectstatic first, the create server serves no static.
            "GONGDAN_STATIC_MANIFEST": "1" if project == "list" else "0",
        }
        if self.name == "postgres":
            p = self.pg
            auth = p["user"] + (f":{p['password']}" if p["password"] else "")
            env["GONGDAN_DATABASE_URL"] = (
                f"postgres://{auth}@{p['host']}:{p['port']}/bench_{project}"
            )
        return env

    def reset(self, projects: list[str]) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        if self.name == "postgres":
            env = {
                **os.environ,
                "PGPASSWORD": self.pg["password"],
                "PGOPTIONS": "-c client_min_messages=warning",
            }
            for project in projects:
                for statement in (
                    f"DROP DATABASE IF EXISTS bench_{project} WITH (FORCE)",
                    f"CREATE DATABASE bench_{project}",
                ):
                    sh(
                        ["psql", "-h", self.pg["host"], "-p", self.pg["port"], "-U",
                         self.pg["user"], "-d", "postgres", "-qc", statement],
                        env=env, stdout=subprocess.DEVNULL,
                    )  # fmt: skip


def project_env(engine: Engine, project: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PEERS), **engine.db_env(project)}
    env["BENCH_DATA_DIR"] = str(engine.dir / project)
    (engine.dir / project).mkdir(parents=True, exist_ok=True)
    if project == "gongdan" or project == "list":
        env.update(engine.gongdan_env(project))
        # This checkout's code first, even if the venv's editable install points elsewhere.
        env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    return env


# --- servers -----------------------------------------------------------------------


@dataclass
class Server:
    name: str
    url: str
    body: str
    auth: str
    proc: subprocess.Popen[bytes] | None = None


def gunicorn(python_bin: Path, app: str, port: int, env: dict[str, str], logfile: Path) -> Any:
    cmd = [
        str(python_bin / "python"), "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}", *gunicorn_options(WORKERS),
        "--no-control-socket", "--log-level", "warning",
    ]  # fmt: skip
    out = logfile.open("w")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def start_servers(engine: Engine) -> list[Server]:
    logs = engine.dir / "logs"
    logs.mkdir(exist_ok=True)
    # gongdan: migrate (installs the built-in order types), seed people, token.
    genv = project_env(engine, "gongdan")
    sh([str(VENV / "gongdan"), "migrate", "--noinput", "-v", "0"], env=genv)
    seeded = inproc("seed", env=genv)
    body = CREATE_BODY
    gongdan = Server(
        "gongdan",
        f"http://127.0.0.1:{PORTS['gongdan']}/api/v1/work-orders",
        json.dumps(body, ensure_ascii=False),
        f"Bearer {seeded['token']}",
    )
    gongdan.proc = gunicorn(VENV, "gongdan.wsgi:application", PORTS["gongdan"], genv,
                            logs / "gongdan.log")  # fmt: skip
    # django-helpdesk: its own venv, migrations, a staff user with a DRF token, a queue.
    henv = project_env(engine, "helpdesk")
    hbin = HELPDESK_VENV / "bin"
    sh([str(hbin / "django-admin"), "migrate", "--noinput", "-v", "0",
        "--settings", "helpdesk_site.settings"], env=henv)  # fmt: skip
    hseed = json.loads(
        sh(
            [str(hbin / "python"), str(PEERS / "helpdesk_site" / "seed.py")],
            env=henv,
            capture_output=True,
        ).stdout
    )
    helpdesk = Server(
        "helpdesk",
        f"http://127.0.0.1:{PORTS['helpdesk']}/helpdesk/api/tickets/",
        json.dumps(
            {
                "queue": hseed["queue"],
                "title": body["title"],
                "description": body["description"],
                "submitter_email": "op-01@example.invalid",
                "priority": 1,
            },
            ensure_ascii=False,
        ),
        f"Token {hseed['token']}",
    )
    helpdesk.proc = gunicorn(hbin, "helpdesk_site.wsgi:application", PORTS["helpdesk"], henv,
                             logs / "helpdesk.log")  # fmt: skip
    # The limit: gongdan's venv (same Django), no auth, one INSERT.
    lenv = project_env(engine, "limit")
    sh([str(VENV / "django-admin"), "migrate", "--noinput", "-v", "0",
        "--settings", "limit_site.settings"], env=lenv)  # fmt: skip
    limit = Server(
        "limit",
        f"http://127.0.0.1:{PORTS['limit']}/rows",
        json.dumps(
            {"title": body["title"], "priority": "red", "description": body["description"]},
            ensure_ascii=False,
        ),
        "",
    )
    limit.proc = gunicorn(VENV, "limit_site.wsgi:application", PORTS["limit"], lenv,
                          logs / "limit.log")  # fmt: skip
    servers = [gongdan, helpdesk, limit]
    for server in servers:
        assert server.proc is not None
        wait_port(int(server.url.split(":")[2].split("/")[0]), server.proc)
    return servers


def wrk(server: Server, connections: int, seconds: float) -> dict[str, Any]:
    env = {**os.environ, "BENCH_BODY": server.body, "BENCH_AUTH": server.auth}
    out = sh(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
         "-s", str(BENCH / "wrk" / "post_json.lua"), server.url],
        env=env, capture_output=True,
    ).stdout  # fmt: skip
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def check_create(server: Server) -> None:
    """One request by hand first: a benchmark of error responses would be worthless."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url, data=server.body.encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    if server.auth:
        request.add_header("Authorization", server.auth)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 201:
        raise SystemExit(f"{server.name}: create answered {status}; see bench/.work/*/logs/")


def inproc(command: str, *, env: dict[str, str]) -> Any:
    """One ``bench.inproc`` command against the bench database; its JSON answer."""
    done = sh(
        [str(VENV / "python"), "-m", "bench.inproc", command],
        env=env,
        capture_output=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout)


def bench_create(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    servers = start_servers(engine)
    try:
        for server in servers:
            check_create(server)
            wrk(server, 8, 2)  # warm-up, not recorded
        runs: dict[tuple[str, int], list[dict[str, Any]]] = collections.defaultdict(list)
        for round_no in range(args.rounds):
            log(f"  create round {round_no + 1}/{args.rounds}")
            for connections in args.concurrency:
                shift = round_no % len(servers)
                order = servers[shift:] + servers[:shift]
                for server in order:
                    runs[(server.name, connections)].append(wrk(server, connections, args.duration))
        profile = profile_create(engine, servers[0]) if args.profile else None
    finally:
        for server in servers:
            stop(server.proc)
    # What the creates left for the ticker (no ticker runs during the runs, as no
    # worker does): their messages, made as the notifications lane makes them.
    messages = inproc("make-messages", env=project_env(engine, "gongdan"))
    queries = inproc("create-queries", env=project_env(engine, "gongdan"))["queries"]
    rows = []
    for (name, connections), samples in runs.items():
        rps = [s["rps"] for s in samples]
        rows.append(
            {
                "system": name,
                "connections": connections,
                "rps": statistics.median(rps),
                "rps_spread_pct": 100 * (max(rps) - min(rps)) / statistics.median(rps),
                "p50_ms": statistics.median(s["p50_us"] for s in samples) / 1000,
                "p95_ms": statistics.median(s["p95_us"] for s in samples) / 1000,
                "errors": sum(s["errors"] for s in samples),
                "rounds": [round(x, 1) for x in rps],
            }
        )
    return {"rows": rows, "create_queries": queries, "profile": profile, "messages": messages}


# --- profile -----------------------------------------------------------------------

# Inclusive buckets of the create path, matched on function names in py-spy stacks.
BUCKETS = [
    ("bearer token lookup", ("api_token_authenticate",)),
    ("request parsing + validation (ninja)", ("_get_values", "resolve_params", "_parse")),
    ("machine look-up (asset_named)", ("asset_named",)),
    ("work_order_create (service)", ("work_order_create",)),
    ("  custom-field validation", ("validate_order_data",)),
    ("  planning before the transaction: SLA, routing (on_planned)", ("on_planned",)),
    ("    routing decision (decide)", ("decide (gongdan",)),
    ("  order number (_next_number)", ("_next_number",)),
    (
        "  building the rows after the order's: SLA clock, routing record, outbox",
        ("write (gongdan/routing", "write (gongdan/sla"),
    ),
    ("    messages asked for (notify: one batch row)", ("notify (gongdan",)),
    ("  insert_rows: adapting values (and the order's own INSERT)", ("insert_rows (gongdan",)),
    (
        "  the write transaction's INSERTs, built before it (deferred writes)",
        ("write (gongdan/core/inserts.py",),
    ),
    ("  the three events (events_batched)", ("events_batched",)),
    ("response serialisation (order_out + ninja)", ("order_out", "_result_to_response")),
    ("SQL execute (all)", ("_execute (django/db/backends/utils.py",)),
    ("transaction commit", ("commit (django/db/backends/base/base.py",)),
    ("middleware (session, locale, csrf, htmx …)", ("process_request", "process_response")),
]


def profile_create(engine: Engine, server: Server) -> dict[str, Any] | None:
    try:
        ensure_venv(TOOLS_VENV, [PY_SPY])
    except subprocess.CalledProcessError:
        log("  py-spy could not be installed; no profile")
        return None
    out = engine.dir / "profile-create.txt"
    assert server.proc is not None
    spy = subprocess.Popen(
        [str(TOOLS_VENV / "bin" / "py-spy"), "record", "--pid", str(server.proc.pid),
         "--subprocesses", "--duration", "8", "--rate", "250", "--format", "raw",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)  # let py-spy attach before the load starts
    wrk(server, 8, 8)
    spy.wait(timeout=60)
    if not out.exists():
        log("  py-spy produced no profile (ptrace not permitted?)")
        return None
    return summarise_profile(out.read_text())


def summarise_profile(raw: str) -> dict[str, Any]:
    """Share of request samples under each bucket, and the top self-time functions."""
    total = 0
    buckets = collections.Counter[str]()
    own = collections.Counter[str]()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or "handle_request" not in stack:
            continue  # idle threads, the gunicorn arbiter
        count = int(count_text)
        total += count
        for label, needles in BUCKETS:
            if any(n in stack for n in needles):
                buckets[label] += count
        own[stack.split(";")[-1]] += count
    share = {label: 100 * buckets[label] / total for label, _ in BUCKETS} if total else {}
    top = [(name, 100 * n / total) for name, n in own.most_common(12)] if total else []
    return {"samples": total, "buckets": share, "top_self": top}


# --- report ------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def round_ratios(ours: dict[str, Any], peer: dict[str, Any]) -> str:
    """The ratio taken within each round, where the servers ran minutes apart at most:
    its median, and the lowest and highest round. This machine's speed drifts within
    a run, and a ratio of medians taken over the whole run carries that drift."""
    per_round = [a / b for a, b in zip(ours["rounds"], peer["rounds"], strict=True) if b]
    if not per_round:
        return "—"
    mid = statistics.median(per_round)
    if len(per_round) == 1:
        return f"{mid:.2f}×"
    return f"{mid:.2f}× ({min(per_round):.2f}–{max(per_round):.2f})"


def messages_line(made: dict[str, Any] | None, rows: list[dict[str, Any]]) -> list[str]:
    """How fast the ticker makes the messages the creates asked for, against the
    fastest create rate: it must keep up, or the work has only moved."""
    if not made or not made["batches"]:
        return []
    per_second = made["batches"] / made["seconds"]
    fastest = max(r["rps"] for r in rows if r["system"] == "gongdan")
    return [
        f"The ticker then made {made['messages']:,} messages for {made['batches']:,} orders"
        f" (of {made['waiting']:,} waiting) in {made['seconds']:.1f} s, one process:"
        f" {per_second:.0f} orders' messages/s, {per_second / fastest:.1f}× the fastest"
        " create rate above.",
        "",
    ]


def report(engine: Engine, create: dict[str, Any] | None, lists: dict[str, Any] | None) -> str:
    out: list[str] = [f"### {engine.name}", ""]
    if create:
        out += [f"**1. Create an order through the API** (gunicorn {WORKERS}×{THREADS} gthread,"
                " a socket per worker, DEBUG off, wrk)", ""]  # fmt: skip
        out.append("| conn | system | orders/s (spread) | p50 ms | p95 ms | errors "
                   "| gongdan/helpdesk, by round | gongdan/limit, by round |")  # fmt: skip
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
        by = {(r["system"], r["connections"]): r for r in create["rows"]}
        for connections in sorted({r["connections"] for r in create["rows"]}):
            for name in ("gongdan", "helpdesk", "limit"):
                r = by.get((name, connections))
                if r is None:
                    continue
                ratios = ["", ""]
                if name.startswith("gongdan"):
                    ratios = [
                        round_ratios(r, by[(peer, connections)]) for peer in ("helpdesk", "limit")
                    ]
                out.append(
                    f"| {connections} | {name} | {r['rps']:.0f} (±{r['rps_spread_pct'] / 2:.0f}%)"
                    f" | {fmt_ms(r['p50_ms'])} | {fmt_ms(r['p95_ms'])} | {r['errors']}"
                    f" | {ratios[0]} | {ratios[1]} |"
                )
        out += ["", f"SQL statements per gongdan create: {len(create['create_queries'])}", ""]
        out += messages_line(create.get("messages"), create["rows"])
    if lists:
        out += ["**2. Order list (API, 50 a page) and board**, p50/p95 over repeated requests, "
                "against the hand-written SQL returning the same rows", ""]  # fmt: skip
        out.append("| orders | request | rows | p50 ms | p95 ms | spread | queries "
                   "| SQL p50 ms | API/SQL | same rows |")  # fmt: skip
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for level in lists["sizes"]:
            for item in level["lists"]:
                out.append(
                    f"| {level['size']:,} | {item['scenario']} | {item['rows']:,}"
                    f" | {fmt_ms(item['api']['p50_ms'])} | {fmt_ms(item['api']['p95_ms'])}"
                    f" | ±{item['api']['spread_pct'] / 2:.0f}% | {item['queries']}"
                    f" | {fmt_ms(item['sql']['p50_ms'])} | {item['ratio']:.1f}×"
                    f" | {'yes' if item['same_rows'] else 'NO'} |"
                )
            board = level.get("board")
            if board and board.get("status") == 200:
                out.append(
                    f"| {level['size']:,} | board page {board['path']} | |"
                    f" {fmt_ms(board['p50_ms'])} | {fmt_ms(board['p95_ms'])}"
                    f" | ±{board['spread_pct'] / 2:.0f}% | {board['queries']} | | | |"
                )
            else:
                out.append(f"| {level['size']:,} | board page | not yet | | | | | | | |")
        out += ["", "**3. Dashboard metrics**", ""]
        dashboards = [lv for lv in lists["sizes"] if "dashboard" in lv]
        if not dashboards:
            out.append("not measured: run with sizes of 100 000 orders or more.")
        for level in dashboards:
            d = level["dashboard"]
            if d and d.get("status") == 200:
                out.append(
                    f"- {level['size']:,} orders: {d['path']} p50 {fmt_ms(d['p50_ms'])} ms,"
                    f" p95 {fmt_ms(d['p95_ms'])} ms, {d['queries']} queries"
                )
            else:
                out.append(f"- {level['size']:,} orders: not yet (no dashboard page)")
        out += ["", "**4. Page weight** (first visit: HTML + linked static files, "
                "as sent with gzip/brotli)", ""]  # fmt: skip
        for key, label in (("board", "board"), ("qr", "/q/<code>"), ("mobile", "/m/")):
            w = (lists.get("weights") or {}).get(key)
            if not w:
                out.append(f"- {label}: not yet")
            elif w.get("status") != 200:
                out.append(f"- {label}: not yet ({w['path']} answered {w['status']})")
            else:
                out.append(
                    f"- {label} ({w['path']}): {w['total']:,} bytes — HTML {w['html_bytes']:,}"
                    f" + {len(w['files'])} static files"
                )
        out.append("")
    if create and create.get("profile"):
        prof = create["profile"]
        out += [f"**Where a create's time goes** (py-spy, {prof['samples']} samples "
                "in request threads, inclusive)", ""]  # fmt: skip
        for label, pct in prof["buckets"].items():
            out.append(f"- {label}: {pct:.0f}%")
        out += ["", "top self time:"]
        for name, pct in prof["top_self"]:
            out.append(f"- {pct:4.1f}% {name}")
        out.append("")
    return "\n".join(out)


# The two runs of `--instructions`: their difference is this many creates.
INSTRUCTION_COUNTS = (10, 110)


def count_instructions(engine: Engine, project: str) -> float:
    """Instructions per in-process create (``bench.count``) of gongdan or the limit,
    counted by callgrind: the same code, data and inputs give the same count whatever
    else the machine is doing, where rates on a shared machine move by ±10 % and more
    between runs. Two runs with different numbers of creates; their difference,
    divided by the difference in creates, leaves out start-up and warm-up. What it
    does not see: time spent waiting (the disk, the database server, the write lock)
    and the memory system's share."""
    valgrind = ensure_tool("valgrind")
    env = {**project_env(engine, project), "PYTHONHASHSEED": "0"}
    if project == "gongdan":
        sh([str(VENV / "gongdan"), "migrate", "--noinput", "-v", "0"], env=env)
        # The plant exists before either counted run, so that both only look it up.
        inproc("seed", env=env)
    else:
        sh([str(VENV / "django-admin"), "migrate", "--noinput", "-v", "0",
            "--settings", "limit_site.settings"], env=env)  # fmt: skip
    counted: dict[int, int] = {}
    for count in INSTRUCTION_COUNTS:
        log(f"  {project}: callgrind, {count} creates …")
        done = sh(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
             str(VENV / "python"), "-m", "bench.count", project, "--count", str(count)],
            env=env, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            sys.exit("callgrind printed no count:\n" + done.stderr[-2000:])
        counted[count] = int(found.group(1))
    low, high = INSTRUCTION_COUNTS
    return (counted[high] - counted[low]) / (high - low)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "sqlite"),
                        choices=["sqlite", "postgres", "both"])  # fmt: skip
    parser.add_argument("--million", action="store_true", help="also 1 000 000 orders (slow)")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--reps", type=int, default=30, help="list requests per scenario at 10k")
    parser.add_argument("--quick", action="store_true", help="1 round, 2 s, 10k only")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--instructions", action="store_true",
                        help="only count an in-process create's instructions")  # fmt: skip
    args = parser.parse_args()
    # A TERM (Ctrl-C too) unwinds through the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.rounds, args.duration, args.sizes, args.reps = 1, 2, "10000", 10
    if args.million:
        args.sizes += ",1000000"
    args.concurrency = [int(c) for c in str(args.concurrency).split(",")]
    started = time.monotonic()
    WORK.mkdir(exist_ok=True)
    if not (args.skip_create or args.instructions):
        ensure_wrk()
        ensure_venv(HELPDESK_VENV, helpdesk_requirements())
    pg = {
        "host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("BENCH_PG_PORT", "5432"),
        "user": os.environ.get("BENCH_PG_USER", "postgres"),
        "password": os.environ.get("BENCH_PG_PASSWORD", ""),
    }
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if args.instructions:
        lines = []
        for name in engines:
            engine = Engine(name, WORK / f"{name}-instructions", pg)
            log(f"== {name}")
            engine.reset(["gongdan", "limit"])
            ours, limit = count_instructions(engine, "gongdan"), count_instructions(engine, "limit")
            lines.append(f"{name}: gongdan {ours / 1e6:.2f} M instructions per API create, "
                         f"the limit {limit / 1e6:.2f} M per request; limit/gongdan "
                         f"{limit / ours:.2f}× (in-process, callgrind)")  # fmt: skip
        print("\n" + "\n".join(lines))
        return
    sections = [f"Machine: {machine()}. {time.strftime('%Y-%m-%d')}.", ""]
    for name in engines:
        engine = Engine(name, WORK / name, pg)
        log(f"== {name}")
        engine.reset(["gongdan", "helpdesk", "limit", "list"])
        create = None if args.skip_create else bench_create(engine, args)
        lists = None
        if not args.skip_list:
            env = project_env(engine, "list")
            sh([str(VENV / "gongdan"), "migrate", "--noinput", "-v", "0"], env=env)
            sh([str(VENV / "gongdan"), "collectstatic", "--noinput", "-v", "0"], env=env)
            out = engine.dir / "lists.json"
            sh([str(VENV / "python"), "-m", "bench.inproc", "list", "--sizes", args.sizes,
                "--reps", str(args.reps), "--out", str(out)], env=env, cwd=ROOT)  # fmt: skip
            lists = json.loads(out.read_text())
        (engine.dir / "results.json").write_text(
            json.dumps({"create": create, "lists": lists}, ensure_ascii=False, indent=1)
        )
        sections.append(report(engine, create, lists))
    text = "\n".join(sections)
    # The latest report, and every run's kept beside it: a run resets its engines'
    # folders, so a table is not lost to the next run.
    (WORK / "report.md").write_text(text)
    kept = WORK / "reports" / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.db}.md"
    kept.parent.mkdir(exist_ok=True)
    kept.write_text(f"<!-- bench/run.py {' '.join(sys.argv[1:])} -->\n{text}")
    print("\n" + text)
    log(
        f"(took {time.monotonic() - started:.0f} s; report in bench/.work/report.md,"
        f" kept as bench/.work/reports/{kept.name})"
    )


if __name__ == "__main__":
    main()
