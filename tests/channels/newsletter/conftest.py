"""Fixtures for the newsletter tests: a real SMTP server (aiosmtpd) on 127.0.0.1 and a CLI."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import click
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from syndicate_channels.newsletter.cli import COMMANDS

from syndicate.commands import State

SECRET = "test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """aiosmtpd handler: keeps every accepted message; can refuse some recipients."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply
    on_data: Callable[[int], str | None] | None = None  # (messages so far) -> reply or None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.on_data is not None:
                reply = self.on_data(len(self.messages))
                if reply is not None:
                    return reply
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [r for m in self.messages for r in m.rcpt_tos]


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder
    controller: Controller

    def stop_listening(self) -> None:
        """New connections are refused from now on (call from a handler: the loop thread)."""
        self.controller.server.close()


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Start aiosmtpd servers with given options (TLS, AUTH); all stopped after the test."""
    controllers: list[Controller] = []

    def start(**options: Any) -> SmtpServer:
        recorder = Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(port, recorder, controller)

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def smtp_server(smtp_factory: Callable[..., SmtpServer]) -> SmtpServer:
    return smtp_factory()


def newsletter_config(smtp_port: int, **list_overrides: Any) -> dict[str, Any]:
    daily: dict[str, Any] = {
        "id": "daily",
        "title": "Daily Brief",
        "from": "Taiwan Strait Network <news@example.com>",
        "reply_to": "desk@example.com",
        "postal_address": "1 Harbour Road, Taipei 100, Taiwan",
        "sections": ["finance"],
    }
    daily.update(list_overrides)
    return {
        "secret": "${NEWSLETTER_SECRET}",
        "lists": [daily],
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout": 5},
        "unsubscribe": {
            "url": "https://news.example.com/newsletter/unsubscribe",
            "mailto": "unsubscribe@example.com",
        },
    }


@pytest.fixture(autouse=True)
def newsletter_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return SECRET


def run_cli(config_path: Path, *args: str) -> Result:
    """Invoke the newsletter/subscribers groups exactly as `syndicate` mounts them."""
    root = click.Group()
    for command in COMMANDS:
        root.add_command(command)
    return CliRunner().invoke(
        root, list(args), obj=State(config_path, False, False), catch_exceptions=False
    )


@pytest.fixture
def nl_cli() -> Callable[..., Result]:
    return run_cli


@pytest.fixture
def nl_config() -> Callable[..., dict[str, Any]]:
    return newsletter_config


@pytest.fixture
def unused_port() -> int:
    """A port nobody listens on (for the "server is down" case)."""
    return free_port()
