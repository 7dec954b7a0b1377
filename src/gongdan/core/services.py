"""Writes for people and access."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .cache import ProcessCache
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
    """Revoke a token; this process refuses it from now on, the others within the
    cache's two seconds."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _active_tokens.changed()


# Every usable token by digest, with its user: an integration sends one token on
# every call, and looking it up cost more than the INSERT its call makes. Any
# change to a token or a user drops the copy.
_active_tokens = ProcessCache(
    lambda: {t.digest: t for t in ApiToken.objects.active().select_related("user")},
    models=(ApiToken, User),
)


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None."""
    token = _active_tokens.get().get(ApiToken.hash(raw))
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used at most once a minute: no write on every API call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    # The cached user serves every thread; each request gets its own copy — made as
    # copy.copy makes it, without the model lookup its unpickling step does.
    user = User.__new__(User)
    user.__dict__.update(token.user.__getstate__())
    return user
