"""Small server-side SVG charts for the PDF, where no JavaScript runs."""

from __future__ import annotations

from html import escape

from .selectors import Heatmap

FONT = "Noto Sans CJK SC, sans-serif"
INK = "#1f2937"
GRID = "#e5e7eb"
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706"]


def _text(
    x: float, y: float, text: str, size: int = 10, anchor: str = "middle", fill: str = INK
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{FONT}" fill="{fill}">{escape(text)}</text>'
    )


def _open(width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    )


def line_chart(
    labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    width: int = 520,
    height: int = 180,
    unit: str = "",
    top: float | None = None,
) -> str:
    """Lines over the x labels; a None value leaves a gap."""
    left, right, upper, lower = 40, 10, 22, 28
    plot_w, plot_h = width - left - right, height - upper - lower
    values = [v for _name, data in series for v in data if v is not None]
    peak = top if top is not None else max([*values, 1.0]) * 1.15
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_open(width, height)]
    for i in range(5):
        y = upper + plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 4, y + 3, f"{peak * (4 - i) / 4:.0f}{unit}", 8, "end"))
    for i, label in enumerate(labels):
        parts.append(_text(left + i * step, height - 10, label, 8))
    for n, (name, data) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = [
            (left + i * step, upper + plot_h * (1 - v / peak))
            for i, v in enumerate(data)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        legend_x = left + n * 130
        parts.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(legend_x + 14, 13, name, 9, "start"))
    parts.append("</svg>")
    return "".join(parts)


def heatmap(heat: Heatmap, weekdays: list[str], *, width: int = 520) -> str:
    """Weekday rows × 24 hour columns, darker where more late orders were opened."""
    left, upper, cell_h = 52, 16, 16
    cell_w = (width - left - 4) / 24
    height = upper + 7 * cell_h + 4
    peak = max((c for row in heat.cells for c in row), default=0) or 1
    parts = [_open(width, height)]
    for hour in range(0, 24, 3):
        parts.append(_text(left + hour * cell_w + cell_w / 2, 11, f"{hour:02d}", 8))
    for day, row in enumerate(heat.cells):
        y = upper + day * cell_h
        parts.append(_text(left - 4, y + 11, weekdays[day], 9, "end"))
        for hour, value in enumerate(row):
            x = left + hour * cell_w
            if value:
                alpha = 0.2 + 0.8 * value / peak
                fill = f'fill="#dc2626" fill-opacity="{alpha:.2f}"'
            else:
                fill = 'fill="#f3f4f6"'
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" '
                f'height="{cell_h - 1}" {fill}/>'
            )
            if value:
                parts.append(_text(x + cell_w / 2, y + 11, str(value), 8, fill="#fff"))
    parts.append("</svg>")
    return "".join(parts)
