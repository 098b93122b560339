"""Fixtures of the publishing-rules tests: secrets in the environment, a partner on
127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rules_helpers import Partner, env, partner_server


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    env(monkeypatch)


@pytest.fixture
def partner() -> Iterator[Partner]:
    with partner_server() as server:
        yield server
