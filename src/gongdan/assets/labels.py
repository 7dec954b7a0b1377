"""QR codes and printable label sheets for machines.

Each QR encodes the machine's public scan page (``/q/<code>`` on the configured
base URL). The sheet is an A4 PDF laid out as a grid of self-adhesive labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import segno
from django.template.loader import render_to_string

from .models import Asset


@dataclass(frozen=True)
class Grid:
    """A label sheet: columns × rows on A4, with the sheet's outer margin in millimetres."""

    columns: int = 3
    rows: int = 8
    margin_mm: float = 8.0

    def __post_init__(self) -> None:
        if not (1 <= self.columns <= 6 and 1 <= self.rows <= 12):
            raise ValueError("a label grid has 1–6 columns and 1–12 rows")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def label_width_mm(self) -> float:
        # A hair under the exact share, so rounding never pushes a label to the next row.
        return (210 - 2 * self.margin_mm) / self.columns - 0.2

    @property
    def label_height_mm(self) -> float:
        return (297 - 2 * self.margin_mm) / self.rows - 0.2

    @property
    def qr_mm(self) -> float:
        # Leave room for the text beside the code; ISO 18004 wants a quiet zone too.
        return min(self.label_height_mm - 4, self.label_width_mm * 0.48)


def qr_svg(text: str, *, scale: int = 4, border: int = 2) -> str:
    """An SVG QR code (error correction M: survives a scuffed label)."""
    return segno.make(text, error="m", micro=False).svg_inline(scale=scale, border=border)


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=2)


def label_sheet_pdf(*, assets: Iterable[Asset], grid: Grid | None = None) -> bytes:
    """One PDF of labels (QR, code, name, site) for the given machines, in order."""
    from weasyprint import HTML

    grid = grid or Grid()
    labels = [
        {
            "code": asset.code,
            "name": asset.name,
            "place": asset.site.name if asset.site else asset.location,
            "qr": qr_data_uri(asset.public_url),
        }
        for asset in assets
    ]
    pages = [labels[i : i + grid.per_page] for i in range(0, len(labels), grid.per_page)]
    html = render_to_string("assets/labels.html", {"pages": pages, "grid": grid})
    return HTML(string=html).write_pdf()
