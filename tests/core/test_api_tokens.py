"""Bearer tokens: the user a token belongs to, shared by a process, copied per request."""

from __future__ import annotations

from django.core.management import call_command

from gongdan.core.services import api_token_authenticate


def test_each_request_gets_its_own_copy_of_the_tokens_user(plant, capsys):
    call_command("apitoken", "dispatcher")
    raw = capsys.readouterr().out.strip()
    first = api_token_authenticate(raw)
    second = api_token_authenticate(raw)
    assert first == second == plant.dispatcher
    assert first is not second and first._state is not second._state
    # What one request does to its user (a cached relation, an attribute) stays there.
    first.display_name = "改过的名字"
    first._state.fields_cache["marker"] = object()
    third = api_token_authenticate(raw)
    assert third.display_name == plant.dispatcher.display_name
    assert "marker" not in third._state.fields_cache
