"""Writes to the equipment registry: the Excel ledger import, and the files made from it.

The import reads the plant's existing ledger (one row per machine). A dry run
lists every row's problems before anything is written; the real import writes
every row or none, so a half-imported ledger never exists.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gongdan.core.errors import Conflict, Forbidden, ValidationFailed
from gongdan.core.models import Region, User

from . import permissions
from .models import Area, Asset, Line, Site

# (attribute, Chinese header, English header) — the ledger's columns, in export order.
COLUMNS: list[tuple[str, str, str]] = [
    ("code", "设备编号", "Code"),
    ("name", "名称", "Name"),
    ("site", "站点", "Site"),
    ("area", "车间", "Area"),
    ("line", "产线", "Line"),
    ("location", "位置", "Location"),
    ("model", "型号", "Model"),
    ("serial_number", "序列号", "Serial number"),
    ("manufacturer", "制造商", "Manufacturer"),
    ("installed_on", "安装日期", "Installed on"),
    ("warranty_until", "保修到期", "Warranty until"),
    ("customer", "客户", "Customer"),
    ("latitude", "纬度", "Latitude"),
    ("longitude", "经度", "Longitude"),
]
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportRow:
    """One ledger row as read, what the import would do with it and what is wrong."""

    number: int
    code: str
    values: dict[str, Any]
    action: str = "create"  # or "update"
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[ImportRow]
    problems: list[str] = field(default_factory=list)  # about the file itself
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not any(row.problems for row in self.rows)

    @property
    def rows_with_problems(self) -> list[ImportRow]:
        return [row for row in self.rows if row.problems]

    @property
    def creates(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def updates(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return datetime.date.fromisoformat(text)


def _cell_decimal(value: Any, low: int, high: int) -> Decimal | None:
    if value is None or value == "":
        return None
    number = Decimal(str(value).strip())
    if not number.is_finite() or not low <= number <= high:
        raise InvalidOperation
    return number.quantize(Decimal("0.0000001"))


def _header_map(header: tuple[Any, ...]) -> dict[str, int]:
    names = {zh: attr for attr, zh, _en in COLUMNS} | {
        en.lower(): attr for attr, _zh, en in COLUMNS
    }
    names |= {attr: attr for attr, _zh, _en in COLUMNS}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _cell_text(cell)
        attr = names.get(key) or names.get(key.lower())
        if attr and attr not in found:
            found[attr] = index
    return found


def _read_rows(upload: IO[bytes]) -> tuple[list[ImportRow], list[str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        return [], [_("无法读取文件：请上传 Excel .xlsx 文件。")]
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None)
    if header is None:
        return [], [_("表格是空的。")]
    columns = _header_map(header)
    missing = [zh for attr, zh, _en in COLUMNS[:2] if attr not in columns]
    if missing:
        return [], [_("缺少列：%(columns)s。") % {"columns": "、".join(missing)}]
    rows: list[ImportRow] = []
    for number, line in enumerate(lines, start=2):
        if all(_cell_text(cell) == "" for cell in line):
            continue
        values = {
            attr: (line[index] if index < len(line) else None) for attr, index in columns.items()
        }
        rows.append(ImportRow(number=number, code=_cell_text(values.get("code")), values=values))
        if len(rows) > MAX_IMPORT_ROWS:
            return [], [_("一次最多导入 %(n)d 行。") % {"n": MAX_IMPORT_ROWS}]
    book.close()
    if not rows:
        return [], [_("表格中没有设备行。")]
    return rows, []


def _check_rows(rows: list[ImportRow]) -> dict[str, Site]:
    """Fill in each row's problems and action; returns the sites the rows name."""
    sites: dict[str, Site] = {}
    for site in Site.objects.all():
        sites[site.code.lower()] = site
        sites.setdefault(site.name.lower(), site)
    existing = set(
        Asset.objects.filter(code__in=[r.code for r in rows if r.code]).values_list(
            "code", flat=True
        )
    )
    first_row: dict[str, int] = {}
    for row in rows:
        v = row.values
        if not row.code:
            row.problems.append(_("缺少设备编号。"))
        elif len(row.code) > 40:
            row.problems.append(_("设备编号不能超过 40 个字符。"))
        elif row.code.lower() in first_row:
            row.problems.append(
                _("设备编号 %(code)s 与第 %(row)d 行重复。")
                % {"code": row.code, "row": first_row[row.code.lower()]}
            )
        else:
            first_row[row.code.lower()] = row.number
        if not _cell_text(v.get("name")):
            row.problems.append(_("缺少名称。"))
        site_name = _cell_text(v.get("site"))
        if site_name and site_name.lower() not in sites:
            row.problems.append(_("未知的站点“%(site)s”。") % {"site": site_name})
        if _cell_text(v.get("line")) and not _cell_text(v.get("area")):
            row.problems.append(_("填写了产线但没有车间。"))
        if (_cell_text(v.get("area")) or _cell_text(v.get("line"))) and not site_name:
            row.problems.append(_("填写了车间但没有站点。"))
        for attr, label in (("installed_on", _("安装日期")), ("warranty_until", _("保修到期"))):
            try:
                _cell_date(v.get(attr))
            except ValueError:
                row.problems.append(
                    _("%(field)s不是有效日期（应为 YYYY-MM-DD）。") % {"field": label}
                )
        for attr, label, limit in (("latitude", _("纬度"), 90), ("longitude", _("经度"), 180)):
            try:
                _cell_decimal(v.get(attr), -limit, limit)
            except (InvalidOperation, ValueError):
                row.problems.append(
                    _("%(field)s应为 -%(limit)d 到 %(limit)d 之间的数字。")
                    % {"field": label, "limit": limit}
                )
        for attr, limit in (("name", 200), ("location", 200), ("customer", 200)):
            if len(_cell_text(v.get(attr))) > limit:
                row.problems.append(
                    _("%(field)s不能超过 %(n)d 个字符。")
                    % {"field": _column_label(attr), "n": limit}
                )
        row.action = "update" if row.code in existing else "create"
    return sites


def _column_label(attr: str) -> str:
    return next(zh for a, zh, _en in COLUMNS if a == attr)


def _write_row(row: ImportRow, sites: dict[str, Site]) -> None:
    v = row.values
    site = sites.get(_cell_text(v.get("site")).lower()) if _cell_text(v.get("site")) else None
    area = line = None
    if site is not None and _cell_text(v.get("area")):
        area, _created = Area.objects.get_or_create(site=site, name=_cell_text(v["area"])[:100])
        if _cell_text(v.get("line")):
            line, _created = Line.objects.get_or_create(area=area, name=_cell_text(v["line"])[:100])
    fields: dict[str, Any] = {
        "name": _cell_text(v.get("name")),
        "site": site,
        "area": area,
        "line": line,
        "location": _cell_text(v.get("location")),
        "model": _cell_text(v.get("model"))[:100],
        "serial_number": _cell_text(v.get("serial_number"))[:100],
        "manufacturer": _cell_text(v.get("manufacturer"))[:100],
        "installed_on": _cell_date(v.get("installed_on")),
        "warranty_until": _cell_date(v.get("warranty_until")),
        "customer": _cell_text(v.get("customer")) or (site.customer if site else ""),
        "latitude": _cell_decimal(v.get("latitude"), -90, 90),
        "longitude": _cell_decimal(v.get("longitude"), -180, 180),
    }
    if site is not None and site.region_id:
        fields["region"] = site.region
    Asset.objects.update_or_create(code=row.code, defaults=fields)


def asset_import(*, actor: User, upload: IO[bytes], dry_run: bool) -> ImportReport:
    """Read an .xlsx ledger. A dry run only reports; otherwise every row is written in
    one transaction, or — if any row has a problem — nothing is and ValidationFailed
    names the rows."""
    if not permissions.can_manage_assets(actor):
        raise Forbidden(_("只有管理员、调度和文员可以导入设备台账。"))
    rows, problems = _read_rows(upload)
    report = ImportReport(rows=rows, problems=problems)
    if problems:
        if dry_run:
            return report
        raise ValidationFailed(problems[0], {"file": problems[0]})
    sites = _check_rows(rows)
    if dry_run:
        return report
    if not report.ok:
        bad = report.rows_with_problems
        raise ValidationFailed(
            _("有 %(n)d 行存在问题，未导入任何设备。") % {"n": len(bad)},
            {f"row {row.number}": "；".join(row.problems) for row in bad},
        )
    with transaction.atomic():
        for row in rows:
            _write_row(row, sites)
    report.written = True
    return report


def asset_export(*, assets: QuerySet[Asset]) -> bytes:
    """The registry as an .xlsx ledger in the import's own format, so it round-trips."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("设备台账")
    sheet.append([zh for _attr, zh, _en in COLUMNS])
    for asset in assets.select_related("site", "area", "line"):
        sheet.append(
            [
                asset.code,
                asset.name,
                asset.site.code if asset.site else "",
                asset.area.name if asset.area else "",
                asset.line.name if asset.line else "",
                asset.location,
                asset.model,
                asset.serial_number,
                asset.manufacturer,
                asset.installed_on,
                asset.warranty_until,
                asset.customer,
                float(asset.latitude) if asset.latitude is not None else None,
                float(asset.longitude) if asset.longitude is not None else None,
            ]
        )
    for column, width in zip(
        "ABCDEFGHIJKLMN", (14, 28, 12, 12, 10, 16, 14, 16, 14, 12, 12, 20, 12, 12), strict=True
    ):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- one machine at a time (REST API) -----------------------------------------

# What a caller may set on a machine; sites, areas, lines and regions are named
# by code/name and resolved here, so callers never deal in database ids.
ASSET_FIELDS = (
    "code",
    "name",
    "site",
    "area",
    "line",
    "location",
    "region",
    "customer",
    "model",
    "serial_number",
    "manufacturer",
    "installed_on",
    "warranty_until",
    "latitude",
    "longitude",
    "notes",
    "is_active",
)
_TEXT_LIMITS = {
    "code": 40,
    "name": 200,
    "location": 200,
    "customer": 200,
    "model": 100,
    "serial_number": 100,
    "manufacturer": 100,
}


def _resolve_asset_values(data: dict[str, Any], current: Asset | None) -> dict[str, Any]:
    """Check ``data`` (only the keys present) and turn codes and names into rows; every
    problem is reported at once, by field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, limit in _TEXT_LIMITS.items():
        if key in data:
            values[key] = (data[key] or "").strip()
            if len(values[key]) > limit:
                errors[key] = _("不能超过 %(n)d 个字符。") % {"n": limit}
    for key in ("code", "name"):
        if key in values and not values[key]:
            errors[key] = _("此项为必填。")
    if "notes" in data:
        values["notes"] = data["notes"] or ""
    for key in ("installed_on", "warranty_until"):
        if key in data:
            values[key] = data[key]
    if "is_active" in data:
        if data["is_active"] is None:
            errors["is_active"] = _("此项为必填。")
        values["is_active"] = bool(data["is_active"])
    for key, limit in (("latitude", 90), ("longitude", 180)):
        if key in data:
            try:
                values[key] = _cell_decimal(data[key], -limit, limit)
            except (InvalidOperation, ValueError):
                errors[key] = _("应为 -%(limit)d 到 %(limit)d 之间的数字。") % {"limit": limit}
    if "region" in data:
        values["region"] = None
        if data["region"]:
            values["region"] = Region.objects.filter(code=data["region"]).first()
            if values["region"] is None:
                errors["region"] = _("未知的区域“%(code)s”。") % {"code": data["region"]}

    # The hierarchy: a line lies in an area, an area in a site. Moving a machine to
    # another site (or area) forgets the old area (or line) unless it is named again.
    site = current.site if current else None
    area = current.area if current else None
    line = current.line if current else None
    if "site" in data:
        site = None
        if data["site"]:
            site = Site.objects.filter(code=data["site"]).first()
            if site is None:
                errors["site"] = _("未知的站点“%(site)s”。") % {"site": data["site"]}
        if area is not None and area.site_id != (site.pk if site else None):
            area = line = None
        values["site"] = site
    if "area" in data:
        new_area = None
        if data["area"] and site is None:
            errors["area"] = _("填写了车间但没有站点。")
        elif data["area"] and site is not None:
            new_area = Area.objects.filter(site=site, name=data["area"]).first()
            if new_area is None:
                errors["area"] = _("站点“%(site)s”下没有车间“%(area)s”。") % {
                    "site": site.code,
                    "area": data["area"],
                }
        if new_area != area:
            line = None
        area = new_area
    if "line" in data:
        line = None
        if data["line"] and area is None:
            errors.setdefault("line", _("填写了产线但没有车间。"))
        elif data["line"] and area is not None:
            line = Line.objects.filter(area=area, name=data["line"]).first()
            if line is None:
                errors["line"] = _("车间“%(area)s”下没有产线“%(line)s”。") % {
                    "area": area.name,
                    "line": data["line"],
                }
    values["area"], values["line"] = area, line
    # Like the ledger import: a machine takes its site's region and customer
    # unless the caller says otherwise.
    if site is not None and "site" in data:
        if "region" not in data and site.region_id:
            values["region"] = site.region
        if "customer" not in data and current is None and site.customer:
            values["customer"] = site.customer
    if errors:
        raise ValidationFailed(_("设备信息有误。"), errors)
    return values


def _refuse_duplicate(code: str, exclude: int | None = None) -> None:
    taken = Asset.objects.filter(code=code)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise Conflict(
            _("设备编号 %(code)s 已存在。") % {"code": code},
            {"code": _("已存在。")},
        )


@transaction.atomic
def asset_create(*, actor: User, data: dict[str, Any]) -> Asset:
    """Register one machine. ``data`` uses the ledger's fields; site/area/line/region by
    code or name. Raises ValidationFailed naming each bad field, Conflict for a code in use."""
    if not permissions.can_manage_assets(actor):
        raise Forbidden(_("只有管理员、调度和文员可以登记设备。"))
    missing = {key: _("此项为必填。") for key in ("code", "name") if not data.get(key)}
    if missing:
        raise ValidationFailed(_("设备信息有误。"), missing)
    values = _resolve_asset_values(data, None)
    _refuse_duplicate(values["code"])
    try:
        with transaction.atomic():
            return Asset.objects.create(**values)
    except IntegrityError:
        # Two requests registered the same code at once; the other one won.
        _refuse_duplicate(values["code"])
        raise


@transaction.atomic
def asset_update(*, actor: User, asset: Asset, data: dict[str, Any]) -> Asset:
    """Change the fields present in ``data`` (a partial update); the rest stay as they are."""
    if not permissions.can_manage_assets(actor):
        raise Forbidden(_("只有管理员、调度和文员可以修改设备。"))
    values = _resolve_asset_values(data, asset)
    if "code" in values and values["code"] != asset.code:
        _refuse_duplicate(values["code"], exclude=asset.pk)
    for key, value in values.items():
        setattr(asset, key, value)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        _refuse_duplicate(asset.code, exclude=asset.pk)
        raise
    return asset
