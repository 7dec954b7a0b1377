"""Chinese first, English complete: every catalogue the build compiles is whole."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "gongdan"
ENGLISH = sorted(SRC.glob("**/locale/en/LC_MESSAGES/django.po"))


def test_every_app_with_user_facing_text_ships_an_english_catalogue():
    apps = {p.relative_to(SRC).parts[0] for p in ENGLISH}
    assert {"locale", "office", "portal", "mobile", "parts", "reports", "routing"} <= apps


@pytest.mark.parametrize("po", ENGLISH, ids=lambda p: str(p.relative_to(SRC)))
def test_english_catalogue_has_no_untranslated_or_fuzzy_entries(po: Path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip()
    assert "untranslated" not in stats and "fuzzy" not in stats, f"{po}: {stats}"
