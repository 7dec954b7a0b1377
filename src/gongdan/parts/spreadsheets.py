"""The parts list in and the stock out as .xlsx — what the warehouse already keeps in Excel.

Import is all or nothing: every row is checked first, and a single bad row
writes nothing. A dry run does the same checks and reports what would change.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from gongdan.core.errors import Forbidden, ValidationFailed
from gongdan.core.models import User

from . import permissions
from .models import Part
from .services import PartData, part_save

MAX_ROWS = 20000

# Column headers accepted on import, Chinese or English, mapped to PartData fields.
HEADERS = {
    "编码": "code",
    "备件编码": "code",
    "code": "code",
    "名称": "name",
    "name": "name",
    "规格": "specification",
    "规格型号": "specification",
    "specification": "specification",
    "单位": "unit",
    "unit": "unit",
    "单价": "unit_cost",
    "unit_cost": "unit_cost",
    "unit cost": "unit_cost",
    "类别": "category",
    "category": "category",
    "适用机型": "compatible_models",
    "compatible_models": "compatible_models",
    "compatible models": "compatible_models",
}
REQUIRED = ("code", "name")


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), with one message per bad cell."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse(source: IO[bytes]) -> tuple[list[tuple[int, PartData]], list[dict[str, Any]]]:
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed(
            _("无法读取文件，请上传 Excel .xlsx 文件。"), {"file": _("不是有效的 .xlsx 文件。")}
        )
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    columns: dict[int, str] = {}
    for index, title in enumerate(header or ()):
        key = HEADERS.get(_cell(title).lower()) or HEADERS.get(_cell(title))
        if key:
            columns[index] = key
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ValidationFailed(
            _("表头缺少必需的列：编码、名称。"),
            {"file": _("缺少列：%(c)s") % {"c": ", ".join(missing)}},
        )
    parsed: list[tuple[int, PartData]] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            errors.append({"row": number, "field": "", "message": _("行数过多。")})
            break
        values = {key: row[i] if i < len(row) else None for i, key in columns.items()}
        if all(_cell(v) == "" for v in values.values()):
            continue
        code = _cell(values.get("code"))
        name = _cell(values.get("name"))
        row_errors = []
        if not code:
            row_errors.append(("code", _("编码不能为空。")))
        elif len(code) > 40:
            row_errors.append(("code", _("编码不能超过 40 个字符。")))
        elif code in seen:
            row_errors.append(("code", _("编码与第 %(row)d 行重复。") % {"row": seen[code]}))
        if not name:
            row_errors.append(("name", _("名称不能为空。")))
        cost = Decimal("0")
        raw_cost = _cell(values.get("unit_cost"))
        if raw_cost:
            try:
                cost = Decimal(raw_cost).quantize(Decimal("0.01"))
                if cost < 0 or not cost.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                row_errors.append(("unit_cost", _("单价应为不小于 0 的数字。")))
        for key, message in row_errors:
            errors.append({"row": number, "field": key, "message": message})
        if row_errors:
            continue
        seen[code] = number
        models_text = _cell(values.get("compatible_models")).replace("，", ",").replace("、", ",")
        parsed.append(
            (
                number,
                PartData(
                    code=code,
                    name=name[:200],
                    specification=_cell(values.get("specification"))[:200],
                    unit=_cell(values.get("unit"))[:20] or "个",
                    unit_cost=cost,
                    category=_cell(values.get("category"))[:60],
                    compatible_models=tuple(m.strip() for m in models_text.split(",") if m.strip()),
                ),
            )
        )
    if not parsed and not errors:
        errors.append({"row": 2, "field": "", "message": _("表格中没有数据。")})
    return parsed, errors


def parts_import(*, actor: User, source: IO[bytes], dry_run: bool = True) -> ImportReport:
    """Check every row; unless ``dry_run`` and only if no row is wrong, write them all."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以导入备件目录。"))
    parsed, errors = _parse(source)
    report = ImportReport(errors=errors, dry_run=dry_run)
    existing = set(
        Part.objects.filter(code__in=[d.code for _n, d in parsed]).values_list("code", flat=True)
    )
    for _number, data in parsed:
        (report.updated if data.code in existing else report.created).append(data.code)
    if dry_run or errors:
        return report
    with transaction.atomic():
        for _number, data in parsed:
            part_save(actor=actor, data=data)
    return report


def stock_export(*, warehouse: str | None = None) -> bytes:
    """Stock per warehouse as an .xlsx workbook, low rows highlighted."""
    from .selectors import stock_list

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("库存")
    titles = [
        _("仓库"),
        _("编码"),
        _("名称"),
        _("规格"),
        _("单位"),
        _("库存数量"),
        _("安全库存"),
        _("单价"),
        _("金额"),
    ]
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    low = PatternFill("solid", fgColor="FDE2E1")
    for stock in stock_list(warehouse=warehouse):
        part = stock.part
        sheet.append(
            [
                stock.warehouse.name,
                part.code,
                part.name,
                part.specification,
                part.unit,
                float(stock.quantity),
                float(stock.low_threshold),
                float(part.unit_cost),
                float(stock.quantity * part.unit_cost),
            ]
        )
        if stock.is_low:
            for cell in sheet[sheet.max_row]:
                cell.fill = low
    for column, width in zip("ABCDEFGHI", (14, 16, 24, 20, 6, 10, 10, 10, 12), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parts_template() -> bytes:
    """An empty import sheet with the expected headers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编码", "名称", "规格型号", "单位", "单价", "类别", "适用机型"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
