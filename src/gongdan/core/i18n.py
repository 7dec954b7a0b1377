"""Helpers for data that carries its own zh-Hans and English text."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def pick(zh: str, en: str) -> str:
    """The English text when the request is in English and one exists, else Chinese."""
    return en if is_english() and en else zh


def picker() -> Callable[[str, str], str]:
    """``pick`` with the request's language looked up once, for a loop over many rows
    (looking it up is a context-local read, dearer than the choice itself)."""
    english = is_english()
    return lambda zh, en: en if english and en else zh
