"""Helpers for data that carries its own zh-Hans and English text."""

from __future__ import annotations

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def pick(zh: str, en: str) -> str:
    """The English text when the request is in English and one exists, else Chinese."""
    return en if is_english() and en else zh
