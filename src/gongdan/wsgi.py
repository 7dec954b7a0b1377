from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongdan.settings")
django.setup(set_prefix=False)

from gongdan.core.handlers import GongdanWSGIHandler  # noqa: E402  (after setup)

application = GongdanWSGIHandler()
