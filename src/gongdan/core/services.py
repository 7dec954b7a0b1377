"""Writes for people and access."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and only its hash is kept."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[3:11], digest=ApiToken.hash(raw)
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None."""
    token = (
        ApiToken.objects.active().select_related("user").filter(digest=ApiToken.hash(raw)).first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used at most once a minute: no write on every API call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
