"""Schema helpers for migrations."""

from __future__ import annotations

from django.db import migrations


def drop_indexes_only(indexes: list[tuple[str, str, str]]) -> list[migrations.RunSQL]:
    """Drop plain indexes (and, migrating back, create them again), given as
    (table, index name, column). For fields whose ``db_index`` goes away: on SQLite
    an AlterField would copy the whole table once per field to do it."""
    return [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {name}",
            reverse_sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
        )
        for table, name, column in indexes
    ]
