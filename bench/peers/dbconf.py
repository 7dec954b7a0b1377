"""One database configuration for every project the benchmark serves.

The peers get exactly what gongdan's settings give itself — SQLite in WAL mode
with IMMEDIATE transactions and a busy timeout, or PostgreSQL, both with persistent
connections — so a ratio compares the code, not the database settings.
"""

from __future__ import annotations

import os
from typing import Any


def database() -> dict[str, Any]:
    """DATABASES["default"] from BENCH_DB_ENGINE (sqlite|postgres) and BENCH_DB_NAME."""
    engine = os.environ.get("BENCH_DB_ENGINE", "sqlite")
    name = os.environ["BENCH_DB_NAME"]
    if engine == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA wal_autocheckpoint=10000;"
                ),
            },
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": os.environ.get("BENCH_PG_USER", "postgres"),
        "PASSWORD": os.environ.get("BENCH_PG_PASSWORD", ""),
        "HOST": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_PG_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"server_side_binding": True, "prepare_threshold": 5},
    }
