"""gongdan's settings with persistent SQLite connections: the proposed fix, measured.

gongdan opens a new SQLite connection per request (CONN_MAX_AGE 0). When the
last connection to a WAL database closes, SQLite checkpoints the WAL into the
database file and syncs it, so at low concurrency every request pays that.
The benchmark runs this variant beside the real settings to show the effect.
"""

from __future__ import annotations

from gongdan.settings import *  # noqa: F403
from gongdan.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
