"""Helpers for data that carries its own zh-Hans and English text."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.utils.translation import get_language


def is_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def _chosen(english: bool, zh: str, en: str) -> str:
    return en if english and en else zh


def pick(zh: str, en: str) -> str:
    """The English text when the request is in English and one exists, else Chinese."""
    return _chosen(is_english(), zh, en)


def picker() -> Callable[[str, str], str]:
    """``pick`` with the request's language looked up once, for a loop over many rows
    (looking it up is a context-local read, dearer than the choice itself)."""
    return functools.partial(_chosen, is_english())
