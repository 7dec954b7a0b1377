"""The weekly PDF: rendered with WeasyPrint, read back with poppler like a manager would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.core.management import call_command

from gongdan.reports.pdf import previous_week, weekly_report_pdf
from tests.browser import ARTIFACTS
from tests.conftest import require_service
from tests.reports.conftest import History, at


def _poppler() -> None:
    require_service("poppler-utils", bool(shutil.which("pdftoppm")), "make browser-deps")


def test_previous_week_is_the_iso_week_before_today_in_site_time() -> None:
    assert previous_week(at(13, 8)) == "2025-W41"  # Monday 13 October, 08:00
    assert previous_week(at(12, 23)) == "2025-W40"


def test_weekly_pdf_shows_cards_heatmap_sentence_and_the_most_late_orders(
    history: History, tmp_path: Path
) -> None:
    _poppler()
    pdf = weekly_report_pdf("2025-W41", now=at(20, 9))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "week.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "服务周报 2025-W41" in text
    assert "SLA 达成率" in text and "66.7%" in text
    assert "100% 的超时工单在星期五 16:00–19:00 开单" in text
    # The most late first: E (49 h past target), then B.
    assert text.index(history["E"].number) < text.index(history["B"].number)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / "weekly-report")], check=True
    )
    pages = sorted(ARTIFACTS.glob("weekly-report-*.png"))
    assert pages and pages[0].stat().st_size > 10_000


def test_report_command_writes_the_pdf_for_a_week(history: History, tmp_path: Path) -> None:
    _poppler()
    out = tmp_path / "report.pdf"
    call_command("report", "weekly", "--week", "2025-W41", "--out", str(out))
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "2025-10-06 – 2025-10-12" in text
