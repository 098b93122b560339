"""A real partner endpoint on 127.0.0.1: verifies signatures and misbehaves on request.

The verifier below is written from the Standard Webhooks spec, independently of the
channel's signing module, so a shared mistake cannot make both sides agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from syndicate_channels.push import PushChannel

from syndicate.cli import cli

# 32 random bytes, serialised the Standard Webhooks way.
RAW_KEY = bytes(range(7, 39))
SECRET = "whsec_" + base64.b64encode(RAW_KEY).decode()
TOKEN = "tok-3f9a1c7e-never-in-logs"
SECRET_ENV = "PUSH_TEST_SECRET"
TOKEN_ENV = "PUSH_TEST_TOKEN"


def verify(key: bytes, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and stamp.isdigit() and signatures):
        return False
    if abs(time.time() - int(stamp)) > tolerance:
        return False
    expected = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return True
    return False


@dataclass
class Seen:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answer: str
    at: float = field(default_factory=time.time)  # when the request arrived

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers 200 unless `plan` (consumed in order) says otherwise.

    Plan steps: ("status", code, headers, body), ("hang", seconds), ("drop",).
    """

    key: bytes | None = RAW_KEY
    token: str | None = None
    plan: list[tuple[Any, ...]] = field(default_factory=list)
    delay: float = 0.0
    hold_at: int | None = None  # the n-th request (1-based) is held `hold_for` seconds
    hold_for: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    held: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def step(self) -> tuple[Any, ...]:
        with self.lock:
            return self.plan.pop(0) if self.plan else ("status", 200, {}, b"ok")

    def ids(self) -> list[str]:
        return [s.id for s in self.seen if s.answer == "200"]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if receiver.token is not None:
                ok = headers.get("authorization") == f"Bearer {receiver.token}"
            else:
                assert receiver.key is not None
                ok = verify(receiver.key, headers, body)
            seen = Seen(headers, body, ok, "pending")
            with receiver.lock:  # in arrival order, even if the answer comes much later
                receiver.seen.append(seen)
                number = len(receiver.seen)
            step = self.step_for(ok)
            if receiver.delay:
                time.sleep(receiver.delay)
            if receiver.hold_at == number:
                receiver.held.set()
                time.sleep(receiver.hold_for)
            if step[0] == "hang":
                seen.answer = "hang"  # the client gives up long before we answer
            seen.answer = self.act(step, seen)

        def step_for(self, ok: bool) -> tuple[Any, ...]:
            if not ok:
                return ("status", 401, {}, b"bad signature")
            return receiver.step()

        def act(self, step: tuple[Any, ...], seen: Seen) -> str:
            if step[0] == "drop":
                self.close_connection = True
                return "drop"
            if step[0] == "hang":
                time.sleep(step[1])
                self.close_connection = True
                return "hang"
            _, code, extra, body = step
            # Recorded before the client can have the answer: a fast client may check
            # `seen` the moment its request returns.
            seen.answer = str(code)
            self.send_response(code)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return str(code)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    server.daemon_threads = True
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True, scope="session")
def push_command() -> None:
    """`syndicate push` as main() would register it from the channel's commands()."""
    for command in PushChannel.commands():
        if command.name not in cli.commands:
            cli.add_command(command)


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


class Helpers:
    """Config snippets and store access shared by the push tests (a fixture: `push`)."""

    secret = SECRET
    token = TOKEN
    raw_key = RAW_KEY
    secret_env = SECRET_ENV
    token_env = TOKEN_ENV

    @staticmethod
    def partner(url: str, name: str = "wire", **extra: Any) -> dict[str, Any]:
        return partner(url, name, **extra)

    @staticmethod
    def settings(*partners: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return push_settings(*partners, **extra)

    @staticmethod
    def rows(root: Path) -> list[dict[str, Any]]:
        with sqlite3.connect(outbox_path(root)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM deliveries ORDER BY id")]


@pytest.fixture
def push(secrets_env: None) -> Helpers:
    return Helpers()


def partner(url: str, name: str = "wire", **extra: Any) -> dict[str, Any]:
    """A partner entry with tiny retry delays so tests stay fast."""
    entry: dict[str, Any] = {
        "name": name,
        "url": url,
        "auth": {"secret": "${" + SECRET_ENV + "}"},
        "timeout": {"connect": 2, "read": 0.5},
        "backoff": {"base": 0.02, "cap": 0.1},
        "max_attempts": 6,
        "allow_private_network": True,  # the receiver is on 127.0.0.1
    }
    entry.update(extra)
    return entry


def push_settings(*partners: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"push": {"partners": list(partners), "poll_interval": 0.05, **extra}}


def outbox_path(root: Path) -> Path:
    return root / ".syndicate" / "state" / "push" / "outbox.sqlite3"
