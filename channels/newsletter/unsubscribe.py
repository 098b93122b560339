"""The unsubscribe endpoint: a WSGI app for RFC 8058 one-click and a confirm page.

It runs on waitress (a production WSGI server: request timeouts, body limits, no version in
the Server header) rather than the standard library's development server; the form is
parsed by `multipart`, which reads both encodings RFC 8058 clients send.

GET never changes anything (mail scanners prefetch links); it shows a page whose button
POSTs `List-Unsubscribe=One-Click`, which is exactly what Gmail's one-click sends.
Unknown or forged tokens get a 404 that says nothing about which part was wrong.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from multipart import MultipartError, parse_form_data
from waitress.server import create_server

from syndicate.delivery.mailing import MailingStore, Subscriber

from .settings import NewsletterSettings
from .tokens import TokenSigner, token_subscriber_id

StartResponse = Callable[..., Any]
MAX_BODY = 4096

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto; padding: 0 1em">
<h1>{title}</h1>
{body}
</body></html>
"""


def _page(title: str, body: str) -> bytes:
    return _PAGE.format(title=html.escape(title), body=body).encode("utf-8")


class UnsubscribeApp:
    """WSGI callable; the store must be usable from the server's worker threads."""

    def __init__(
        self, store: MailingStore, settings: NewsletterSettings, signer: TokenSigner
    ) -> None:
        self.store = store
        self.lists = {lst.id: lst for lst in settings.lists}
        self.signer = signer
        self._lock = threading.Lock()  # one SQLite connection shared by the threads

    def _subscriber(self, token: str) -> Subscriber | None:
        subscriber_id = token_subscriber_id(token)
        if subscriber_id is None:
            return None
        with self._lock:
            subscriber = self.store.get_subscriber(subscriber_id)
        if subscriber is None or subscriber.list_id not in self.lists:
            return None
        if not self.signer.verify(token, subscriber.list_id, subscriber.id, subscriber.email):
            return None
        return subscriber

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        form: dict[str, list[str]] = {}
        if method == "POST":
            try:
                form = self._read_form(environ)
            except MultipartError:
                return self._respond(
                    start_response,
                    "400 Bad Request",
                    _page("Bad request", "<p>The form could not be read.</p>"),
                )
        token = (query.get("token") or form.get("token") or [""])[0]
        subscriber = self._subscriber(token) if token else None
        if subscriber is None:
            return self._respond(
                start_response,
                "404 Not Found",
                _page("Link not valid", "<p>This unsubscribe link is not valid.</p>"),
            )
        title = self.lists[subscriber.list_id].title
        who = f"<strong>{html.escape(subscriber.email)}</strong>"
        what = f"<em>{html.escape(title)}</em>"
        if method in ("GET", "HEAD"):
            if subscriber.status != "active":
                body = f"<p>{who} no longer receives {what}.</p>"
                return self._respond(start_response, "200 OK", _page("Unsubscribed", body))
            body = (
                f"<p>Stop sending {what} to {who}?</p>\n"
                '<form method="post"><input type="hidden" name="token" value="'
                f'{html.escape(token)}">\n'
                '<button name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>'
            )
            return self._respond(start_response, "200 OK", _page("Unsubscribe", body))
        if method != "POST":
            return self._respond(
                start_response,
                "405 Method Not Allowed",
                _page("Not allowed", "<p>Use GET or POST.</p>"),
                [("Allow", "GET, HEAD, POST")],
            )
        if form.get("List-Unsubscribe") != ["One-Click"]:
            return self._respond(
                start_response,
                "400 Bad Request",
                _page("Bad request", "<p>Expected List-Unsubscribe=One-Click.</p>"),
            )
        if subscriber.status == "active":
            with self._lock:
                self.store.set_status(subscriber.id, "unsubscribed")
        body = f"<p>Done: {who} will not receive {what} any more.</p>"
        return self._respond(start_response, "200 OK", _page("Unsubscribed", body))

    @staticmethod
    def _read_form(environ: dict[str, Any]) -> dict[str, list[str]]:
        """Fields of a urlencoded or multipart/form-data body (RFC 8058 allows both)."""
        forms, _ = parse_form_data(
            environ, strict=True, memory_limit=MAX_BODY, disk_limit=0, part_limit=16
        )
        return {key: forms.getall(key) for key in forms}

    @staticmethod
    def _respond(
        start_response: StartResponse,
        status: str,
        body: bytes,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
            *(extra or []),
        ]
        start_response(status, headers)
        return [body]


class UnsubscribeServer:
    """A waitress server that another thread (a test, a signal handler) can stop cleanly."""

    def __init__(self, app: UnsubscribeApp, host: str, port: int, *, timeout: float, threads: int):
        # `ident=""` leaves out the Server header, so nothing about the software is
        # revealed; waitress answers malformed requests (bad Content-Length, oversized
        # body) with a 4xx itself and drops a connection idle for `timeout` seconds.
        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="",
            channel_timeout=timeout,
            cleanup_interval=max(1, min(30, int(timeout))),
            max_request_body_size=MAX_BODY,
            max_request_header_size=16384,
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self._stopped = False

    @property
    def effective_port(self) -> int:
        return int(self._server.effective_port)

    def run(self) -> None:
        try:
            self._server.run()
        except OSError:
            if not self._stopped:  # closing the socket under the loop is how it stops
                raise

    def close(self) -> None:
        self._stopped = True
        self._server.task_dispatcher.shutdown(timeout=5)
        self._server.close()


def make_unsubscribe_server(
    app: UnsubscribeApp, host: str, port: int, *, timeout: float = 30, threads: int = 4
) -> UnsubscribeServer:
    """The endpoint on waitress: slow or short requests are cut after `timeout` seconds."""
    return UnsubscribeServer(app, host, port, timeout=timeout, threads=threads)
