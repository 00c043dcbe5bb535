"""The composition root refuses a bad routing file at start, naming the line; a good one wires up."""

from __future__ import annotations

from pathlib import Path

import pytest

from waspada_notify.app import DEMO_RECEIVER, create_app, load_config, receivers
from waspada_notify.domain.loader import ConfigError
from waspada_notify.settings import NotifySettings

BAD = Path(__file__).parent / "fixtures" / "bad" / "unknown_receiver.yml"


def test_bad_routing_fails_at_start_with_the_line() -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(NotifySettings(routing_config=BAD))
    assert f"{BAD}:8: route.routes.0.receiver: no receiver named 'province-team'" in str(caught.value)


def test_default_routing_and_the_local_demo_receiver() -> None:
    local = NotifySettings(profile="local", demo_webhook_url="http://127.0.0.1:8089/hook")
    config = load_config(local)
    known, extra = receivers(config, local)
    assert extra == (DEMO_RECEIVER,) and known[DEMO_RECEIVER].webhook_configs[0].url.endswith("/hook")
    production = NotifySettings(profile="production", demo_webhook_url="http://127.0.0.1:8089/hook")
    assert receivers(config, production)[1] == ()  # never outside the local profile
    app = create_app(local)
    paths = set(app.openapi()["paths"])
    assert {
        "/v1/alerts/{alert_id}/ack",
        "/v1/alerts/{alert_id}/cap",
        "/v1/cap/feed",
        "/v1/silences",
        "/v1/summary",
    } <= paths
