"""QR label sheets: every machine on A4, and the printed code scans back to its page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import zxingcpp
from django.test import Client
from PIL import Image

from gongdan.assets.labels import Grid, label_sheet_pdf
from gongdan.assets.models import Asset, Site
from tests.conftest import PASSWORD, require_service


def _pages(pdf: bytes, tmp_path: Path) -> int:
    require_service("pdfinfo", shutil.which("pdfinfo") is not None, "apt-get install poppler-utils")
    source = tmp_path / "count.pdf"
    source.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True, text=True)
    return int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )


def _render_page(pdf: bytes, tmp_path: Path, page: int) -> Image.Image:
    require_service(
        "pdftoppm", shutil.which("pdftoppm") is not None, "apt-get install poppler-utils"
    )
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-gray",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            str(source),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    return Image.open(next(tmp_path.glob(f"p-*{page}.png")))


def test_217_machines_fit_one_pdf_and_their_labels_scan_from_the_page(
    plant: Any, settings: Any, tmp_path: Path
) -> None:
    settings.PUBLIC_BASE_URL = "https://gongdan.example.cn"
    site = Site.objects.create(code="SZ1", name="苏州一厂")
    Asset.objects.bulk_create(
        Asset(code=f"M-{n:03d}", name=f"注塑机 {n} 号", site=site) for n in range(217)
    )
    machines = Asset.objects.filter(code__startswith="M-").select_related("site")
    pdf = label_sheet_pdf(assets=machines, grid=Grid(columns=3, rows=8))
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf, tmp_path) == 10  # 217 labels at 24 a sheet
    image = _render_page(pdf, tmp_path, page=1)
    found = {r.text for r in zxingcpp.read_barcodes(image)}
    assert found == {f"https://gongdan.example.cn/q/M-{n:03d}" for n in range(24)}


def test_a_full_sheet_scans_every_label(plant: Any, tmp_path: Path) -> None:
    pdf = label_sheet_pdf(assets=Asset.objects.order_by("code"), grid=Grid(columns=2, rows=4))
    image = _render_page(pdf, tmp_path, page=1)
    found = {r.text.rsplit("/", 1)[-1] for r in zxingcpp.read_barcodes(image)}
    assert found == {"IMM-001", "IMM-101"}


def test_office_prints_labels_for_the_ticked_machines(plant: Any, tmp_path: Path) -> None:
    client = Client()
    client.login(username="dispatcher", password=PASSWORD)
    response = client.get("/assets/labels.pdf", {"code": ["IMM-001"], "columns": "4", "rows": "10"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _pages(response.content, tmp_path) == 1


def test_requesters_do_not_see_the_registry(plant: Any) -> None:
    client = Client()
    client.login(username="requester", password=PASSWORD)
    assert client.get("/assets/").status_code == 403
    assert client.get("/assets/labels.pdf").status_code == 403
