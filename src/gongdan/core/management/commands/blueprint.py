"""`gongdan blueprint export KEY` and `gongdan blueprint import FILE`.

Export prints the type as YAML; importing that file gives back the same type,
so a type can be kept in version control or moved between installations.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongdan.core.errors import ValidationFailed
from gongdan.workorders.blueprints import blueprint_export, blueprint_import
from gongdan.workorders.models import WorkOrderType


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping.

    Plain YAML silently keeps the last value, so a type with a field pasted in
    twice would import as if the first had never been written.
    """


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _no_duplicate_keys,  # type: ignore[arg-type]
)


def blueprint_yaml(order_type: WorkOrderType) -> str:
    """The type as YAML, with the layout's titles in the document's own key order.

    The layout is stored as JSON, and PostgreSQL's jsonb returns object keys
    sorted ("en" before "zh"), so dumping it as stored would make the same type
    export differently on SQLite and PostgreSQL.
    """
    doc = blueprint_export(order_type)
    if "layout" in doc:
        doc["layout"] = [
            {
                "title": {k: section["title"][k] for k in ("zh", "en") if k in section["title"]},
                "fields": section["fields"],
            }
            for section in doc["layout"]
        ]
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def check_duplicate_keys(text: str) -> None:
    """Raise ValidationFailed if a YAML mapping repeats a key (other YAML errors pass
    through to the importer, which reports them)."""
    try:
        yaml.load(text, Loader=_StrictLoader)
    except yaml.constructor.ConstructorError as exc:
        raise ValidationFailed("not valid YAML", {"yaml": str(exc)})
    except yaml.YAMLError:
        pass


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
        self.stdout.write(blueprint_yaml(order_type), ending="")

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
            check_duplicate_keys(text)
            order_type = blueprint_import(text)
        except ValidationFailed as exc:
            self.stderr.write(f"{path}: {exc.message}")
            for where, problem in exc.errors.items():
                self.stderr.write(f"  {where}: {problem}")
            raise CommandError(f"{path}: nothing was imported")
        self.stdout.write(f"imported {order_type.key} ({order_type.name_zh})")
