"""Create the staff user, its API token and one queue; print {"token", "queue"} as JSON."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from helpdesk.models import Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

user, _ = get_user_model().objects.get_or_create(
    username="bench", defaults={"is_staff": True, "email": "bench@example.invalid"}
)
token, _ = Token.objects.get_or_create(user=user)
queue, _ = Queue.objects.get_or_create(
    slug="repair", defaults={"title": "设备维修", "allow_public_submission": False}
)
print(json.dumps({"token": token.key, "queue": queue.pk}))
