"""Model fields of our own."""

from __future__ import annotations

from typing import Any

from django.db import models


class RowKeyOneToOneField(models.OneToOneField):  # type: ignore[type-arg]  # as OneToOneField
    """A one-to-one link that is its table's primary key (an order's SLA clock, its
    routing ticket), declared on SQLite as ``integer`` rather than Django's
    ``bigint``: only ``INTEGER PRIMARY KEY`` is SQLite's row id, and any other
    primary key is a unique index beside a hidden row id — one more B-tree written
    for every row. The values are the same 64-bit integers; other engines keep the
    target's type."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite" and self.primary_key:
            return "integer"
        return super().db_type(connection)
