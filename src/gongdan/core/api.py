"""API endpoints for the signed-in user and their tokens."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from .models import ApiToken, request_user
from .services import api_token_create, api_token_revoke

router = Router(tags=["me"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    role_label: str
    team: str | None
    region: str | None


class TokenIn(Schema):
    name: str = ""


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> MeOut:
    user = request_user(request)
    return MeOut(
        username=user.username,
        name=str(user),
        role=user.role,
        role_label=str(user.get_role_display()),
        team=user.team.code if user.team else None,
        region=user.region.code if user.region else None,
    )


@router.get("/me/tokens", response=list[TokenOut], summary="My API tokens")
def tokens(request: HttpRequest) -> list[ApiToken]:
    return list(
        ApiToken.objects.active().filter(user=request_user(request)).order_by("-created_at")
    )


@router.post("/me/tokens", response={201: NewTokenOut}, summary="Create an API token (shown once)")
def token_create(request: HttpRequest, payload: TokenIn) -> Status[NewTokenOut]:
    token, raw = api_token_create(user=request_user(request), name=payload.name)
    return Status(
        201,
        NewTokenOut(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=None,
            token=raw,
        ),
    )


@router.delete("/me/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    token = get_object_or_404(ApiToken.objects.active(), pk=token_id, user=request_user(request))
    api_token_revoke(token=token)
    return Status(204, None)
