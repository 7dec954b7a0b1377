"""`gongdan blueprint export KEY` and `gongdan blueprint import FILE`.

Export prints the type as YAML; importing that file gives back the same type,
so a type can be kept in version control or moved between installations.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongdan.core.errors import ValidationFailed
from gongdan.workorders.blueprints import blueprint_dump, blueprint_import
from gongdan.workorders.models import WorkOrderType


class Command(BaseCommand):
    help = "Export an order type as YAML, or import one from a YAML file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print the type's YAML to stdout")
        export.add_argument("key", help="the order type's key, e.g. equipment_repair")
        import_ = sub.add_parser("import", help="create or replace a type from a YAML file")
        import_.add_argument("file", help="path of the YAML file, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["key"])
        else:
            self._import(options["file"])

    def _export(self, key: str) -> None:
        order_type = WorkOrderType.objects.filter(key=key).first()
        if order_type is None:
            known = ", ".join(WorkOrderType.objects.values_list("key", flat=True))
            raise CommandError(f"no order type {key!r} (known: {known})")
        # ending="": the output is the document itself, so export > f.yaml round-trips.
        self.stdout.write(blueprint_dump(order_type), ending="")

    def _import(self, path: str) -> None:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}")
        try:
            order_type = blueprint_import(text)
        except ValidationFailed as exc:
            self.stderr.write(f"{path}: {exc.message}")
            for where, problem in exc.errors.items():
                self.stderr.write(f"  {where}: {problem}")
            raise CommandError(f"{path}: nothing was imported")
        self.stdout.write(f"imported {order_type.key} ({order_type.name_zh})")
