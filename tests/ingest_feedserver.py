"""A real feed server on 127.0.0.1 for ingest tests: serves bytes per path, answers
conditional GETs, gzips on request, misbehaves (hangs, 500, redirects) when told."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering
    validators: bool = True  # ETag + Last-Modified, and 304 when they match


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedServer:
    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(
        self, path: str, body: bytes | str, content_type: str = "application/xml", **kw: Any
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, **kw)
        return self.url(path)

    def seen(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            route = server.routes.get(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = route.status if route else 404
            if route and route.hang:
                time.sleep(route.hang)
            body = route.body if route else b"not found"
            extra = dict(route.headers) if route else {}
            if route and route.validators and status == 200:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = "Tue, 20 Feb 2024 01:30:00 GMT"
                extra.update({"ETag": etag, "Last-Modified": modified})
                if headers.get("if-none-match") == etag:
                    status, body = 304, b""
            if status == 200 and "gzip" in headers.get("accept-encoding", "") and body:
                body = gzip.compress(body)
                extra["Content-Encoding"] = "gzip"
            with server.lock:
                server.requests.append(Request(self.path, headers, status))
            try:
                self.send_response(status)
                if route and status != 304:
                    self.send_header("Content-Type", route.content_type)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def source(name: str, url: str, section: str = "partners/wire", **extra: Any) -> dict[str, Any]:
    """A `sources:` entry for tests: local server allowed, fetched on every run, fast."""
    return {
        "name": name,
        "url": url,
        "section": section,
        "allow_private_network": True,
        "interval": 0,
        "timeout": 2,
        **extra,
    }
