"""How the web server is sized: used by `gongdan serve` and by the benchmark, which
serves every system it compares exactly the same way."""

from __future__ import annotations

import os

# Threads per web worker. A request is mostly Python (the GIL) with short database
# waits: a few threads per process overlap those waits, more only contend for the
# GIL — measured on SQLite at 8 and 32 connections, 4 workers × 2 threads served
# about a third more creates per second than 2 × 4.
WEB_THREADS = 2


def default_web_workers() -> int:
    """Two worker processes per core, at least two and at most eight."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))
