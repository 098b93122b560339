"""The one-click unsubscribe endpoint, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import html5lib
import httpx
from conftest import SiteFactory
from syndicate_channels.newsletter.settings import load_settings, store_path
from syndicate_channels.newsletter.tokens import TokenSigner
from syndicate_channels.newsletter.unsubscribe import UnsubscribeApp, make_unsubscribe_server

from syndicate.config import load_config
from syndicate.delivery.mailing import SqliteMailingStore


def setup_site(site: SiteFactory, smtp_port: int, nl_config: Any, nl_cli: Any) -> None:
    site.section("finance", "Finance")
    site.article("finance", "first", title="First story", published="2024-02-20")
    site.write_config(channels={"newsletter": nl_config(smtp_port)})
    for address, name in [("ann@example.com", "<b>Ann</b>"), ("bo@example.org", "")]:
        result = nl_cli(
            site.config_path, "subscribers", "add", address, "--list", "daily", "--name", name
        )
        assert result.exit_code == 0, result.output


@contextmanager
def endpoint(site: SiteFactory, secret: str) -> Iterator[tuple[str, SqliteMailingStore]]:
    config = load_config(site.config_path)
    settings = load_settings(config)
    store = SqliteMailingStore(store_path(settings, config))
    app = UnsubscribeApp(store, settings, TokenSigner(secret.encode()))
    server = make_unsubscribe_server(app, "127.0.0.1", 0, timeout=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", store
    finally:
        server.close()
        thread.join(timeout=5)
        store.close()


def local(url: str, base: str) -> str:
    """The https link from the message, aimed at the test server instead."""
    parts = urlsplit(url)
    return f"{base}{parts.path}?{parts.query}"


def test_one_click_post_stops_the_next_issue(
    site: SiteFactory, smtp_server: Any, nl_config: Any, nl_cli: Any, newsletter_secret: str
) -> None:
    setup_site(site, smtp_server.port, nl_config, nl_cli)
    assert nl_cli(site.config_path, "newsletter", "send", "--list", "daily").exit_code == 0
    first = {m.rcpt_tos[0]: m.message for m in smtp_server.recorder.messages}
    assert set(first) == {"ann@example.com", "bo@example.org"}
    link = re.findall(r"<(https://[^>]+)>", first["ann@example.com"]["List-Unsubscribe"])[0]

    with endpoint(site, newsletter_secret) as (base, store):
        page = httpx.get(local(link, base))
        assert page.status_code == 200
        document = html5lib.parse(page.text, namespaceHTMLElements=False)
        form = document.find(".//form")
        assert form is not None and form.get("method") == "post"
        assert "ann@example.com" in page.text
        ann = store.find_subscriber("daily", "ann@example.com")
        assert ann is not None and ann.status == "active"  # GET changes nothing

        forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        for bad in (forged, link.replace("token=1.", "token=2."), link.split("?")[0]):
            response = httpx.post(
                local(bad, base),
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code == 404
        assert [s.status for s in store.subscribers("daily")] == ["active", "active"]

        done = httpx.post(
            local(link, base),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
        ann = store.find_subscriber("daily", "ann@example.com")
        assert ann is not None and ann.status == "unsubscribed"
        bo = store.find_subscriber("daily", "bo@example.org")
        assert bo is not None and bo.status == "active"

    site.article("finance", "second", title="Second story", published="2024-02-21")
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    second = [
        m for m in smtp_server.recorder.messages if m.message["Subject"].endswith("Second story")
    ]
    assert [m.rcpt_tos for m in second] == [["bo@example.org"]]


def test_confirmation_page_escapes_and_post_needs_one_click_body(
    site: SiteFactory, smtp_server: Any, nl_config: Any, nl_cli: Any, newsletter_secret: str
) -> None:
    nl = nl_config(smtp_server.port, title="Tom & Jerry <Daily>")
    site.write_config(channels={"newsletter": nl})
    result = nl_cli(site.config_path, "subscribers", "add", "ann@example.com", "--list", "daily")
    assert result.exit_code == 0
    signer = TokenSigner(newsletter_secret.encode())
    with endpoint(site, newsletter_secret) as (base, store):
        ann = store.find_subscriber("daily", "ann@example.com")
        assert ann is not None
        url = f"{base}/unsubscribe?token={signer.token('daily', ann.id, ann.email)}"
        page = httpx.get(url)
        assert "Tom &amp; Jerry &lt;Daily&gt;" in page.text and "<Daily>" not in page.text
        wrong = httpx.post(
            url,
            content=b"something=else",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert wrong.status_code == 400
        assert store.find_subscriber("daily", "ann@example.com").status == "active"  # type: ignore[union-attr]


def _ann_url(site: SiteFactory, base: str, store: SqliteMailingStore, secret: str) -> str:
    ann = store.find_subscriber("daily", "ann@example.com")
    assert ann is not None
    token = TokenSigner(secret.encode()).token("daily", ann.id, ann.email)
    return f"{base}/unsubscribe?token={token}"


def test_one_click_as_multipart_form_data(
    site: SiteFactory, smtp_server: Any, nl_config: Any, nl_cli: Any, newsletter_secret: str
) -> None:
    """RFC 8058 says clients SHOULD send multipart/form-data; it unsubscribes like urlencoded."""
    setup_site(site, smtp_server.port, nl_config, nl_cli)
    with endpoint(site, newsletter_secret) as (base, store):
        url = _ann_url(site, base, store, newsletter_secret)
        done = httpx.post(url, files={"List-Unsubscribe": (None, "One-Click")})
        assert done.request.headers["content-type"].startswith("multipart/form-data")
        assert done.status_code == 200, done.text
        assert store.find_subscriber("daily", "ann@example.com").status == "unsubscribed"  # type: ignore[union-attr]
        assert store.find_subscriber("daily", "bo@example.org").status == "active"  # type: ignore[union-attr]
        broken = httpx.post(
            url,
            content=b"--x\r\nContent-Disposition: form-data\r\n\r\nhalf",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert broken.status_code == 400


def test_hostile_requests_get_4xx_and_never_hang(
    site: SiteFactory, smtp_server: Any, nl_config: Any, nl_cli: Any, newsletter_secret: str
) -> None:
    setup_site(site, smtp_server.port, nl_config, nl_cli)
    with endpoint(site, newsletter_secret) as (base, store):
        huge = "9" * 19 + "." + "A" * 43  # a syntactically valid token past 2**63
        response = httpx.get(f"{base}/unsubscribe?token={huge}")
        assert response.status_code == 404
        assert "python" not in response.headers.get("server", "").lower()
        assert "server" not in response.headers

        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(
                b"POST /unsubscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nList-Unsub"
            )
            while sock.recv(4096):  # the server closes the connection after its timeout
                pass
            assert time.monotonic() - started < 8

        for raw in (
            b"POST /unsubscribe HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"POST /unsubscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n",
            b"GARBAGE\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(raw)
                status = sock.recv(4096).split(b"\r\n", 1)[0]
                assert status.split()[1].startswith(b"4"), (raw, status)
        assert [s.status for s in store.subscribers("daily")] == ["active", "active"]
