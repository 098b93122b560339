"""A newsroom site with every channel on, and ways to look at everything it put out."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from click.testing import Result
from conftest import SiteFactory

NEWSLETTER_SECRET = "rules-secret-0123456789abcdef"
PUSH_SECRET_ENV = "RULES_PUSH_SECRET"
PUSH_SECRET = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def all_channels(site: SiteFactory, partner_url: str = "http://127.0.0.1:9/hook") -> None:
    """html, feeds, print, newsletter (one list) and push (one partner) configured."""
    site.write_config(
        channels={
            "newsletter": {
                "secret": "${RULES_NEWSLETTER_SECRET}",
                "lists": [
                    {
                        "id": "daily",
                        "title": "Daily Brief",
                        "from": "Taiwan Strait Network <news@example.com>",
                        "postal_address": "1 Harbour Road, Taipei",
                    }
                ],
                "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
                "unsubscribe": {"url": "https://news.example.com/unsubscribe"},
            },
            "push": {
                "partners": [
                    {
                        "name": "wire",
                        "url": partner_url,
                        "auth": {"secret": "${RULES_PUSH_SECRET}"},
                        "allow_private_network": True,  # the test's partner is on 127.0.0.1
                    }
                ]
            },
        }
    )


def go(site: SiteFactory, *args: str) -> Result:
    result = site.cli(*args)
    assert result.exit_code == 0, result.output
    return result


def output_files(site: SiteFactory) -> dict[str, bytes]:
    """Every file of the published site (the manifest and other bookkeeping aside)."""
    root = site.root / "public"
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def mentioning(files: dict[str, bytes], needle: str) -> set[str]:
    return {path for path, data in files.items() if needle.encode() in data}


@dataclass
class Partner:
    """A partner endpoint on 127.0.0.1 that answers 200 and keeps every payload."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def statuses(self) -> dict[str, list[str]]:
        """uid -> pubstatus of every payload received for it, in order."""
        found: dict[str, list[str]] = {}
        for payload in self.received:
            found.setdefault(payload["uri"], []).append(payload["pubstatus"])
        return found


@contextmanager
def partner_server() -> Iterator[Partner]:
    partner = Partner()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            partner.received.append(json.loads(body))
            partner.headers.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    partner.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield partner
    finally:
        server.shutdown()
        server.server_close()


def newsletter_text(site: SiteFactory, out: Path, now: str) -> str:
    """The text of the daily list's next issue as of `now` (a dry run: .eml files)."""
    go(site, "subscribers", "add", "reader@example.com", "--list", "daily")
    result = site.cli("newsletter", "build", "--list", "daily", "--dry-run",
                      "--out", str(out), "--now", now)  # fmt: skip
    if result.exit_code != 0:
        return ""  # nothing new for the list
    texts = []
    for path in sorted(out.rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        texts.append(str(message["Subject"]) + "\n" + body.get_content())
    return "\n".join(texts)


def env(monkeypatch: Any) -> None:
    monkeypatch.setenv("RULES_NEWSLETTER_SECRET", NEWSLETTER_SECRET)
    monkeypatch.setenv(PUSH_SECRET_ENV, PUSH_SECRET)
