"""How the web server is sized: used by `gongdan serve` and by the benchmark, which
serves every system it compares exactly the same way."""

from __future__ import annotations

import os
import socket

# Threads per web worker. A request is mostly Python (the GIL) with short database
# waits: a few threads per process overlap those waits, more only contend for the
# GIL — measured on SQLite at 8 and 32 connections, 4 workers × 2 threads served
# about a third more creates per second than 2 × 4.
WEB_THREADS = 2


def default_web_workers() -> int:
    """Two worker processes per core, at least two and at most eight."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def gunicorn_options(workers: int | None = None) -> list[str]:
    """gunicorn's sizing and balancing options, after ``-m gunicorn APP --bind …``.

    ``--reuse-port`` gives every worker its own listening socket, and the kernel
    spreads new connections over them. Without it the worker that wakes first
    takes whatever is waiting, and a keep-alive client's connections stay where
    they landed: measured with eight connections, now and then all of them sat in
    one process — one core's worth of Python for the whole server, half the rate."""
    return [
        "--workers",
        str(workers or default_web_workers()),
        "--threads",
        str(WEB_THREADS),
        "--reuse-port",
    ]


def port_taken(host: str, port: int) -> bool:
    """True when something already listens on ``host:port``.

    Each worker binding its own socket with SO_REUSEPORT would share a port with a
    second gongdan started by mistake (both serving, each half of the requests)
    instead of failing: a plain bind finds any listener, with the option or
    without. (SO_REUSEADDR: connections of a server that just stopped do not count.)"""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return True
    return False
