"""`syndicate serve`: build, serve the pages on 127.0.0.1, rebuild when sources change.

The preview is written to its own folder under the cache dir (not the live output), and
only runs the channels asked for (html and feeds by default), so a preview never pushes to
partners or mails subscribers from their `after_publish` hooks. Rebuilding is the
engine's resident publisher (`syndicate.engine.watch`), the same loop `syndicate watch`
runs on the live output. Pages sent by the preview server reload themselves after each
rebuild, and show the build's problems while it is broken (`livereload`).
"""

from __future__ import annotations

import io
import os
import sys
import threading
import urllib.parse
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

from syndicate.commands import State, err, pass_state, say, user_errors
from syndicate.engine.watch import ResidentPublisher
from syndicate.pipeline import When, publish

from .livereload import BUILD_PATH, Builds, error_page, inject

HTML = "text/html; charset=utf-8"


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files from the preview folder; missing pages get the site's 404.html.

    Unlike the standard library's handler it lists no folders, serves no dot-files (the
    output's manifest, a `.git` kept there) and follows no symlink out of the folder; a
    path that cannot name a file (a NUL, bad UTF-8) gets 400 instead of a traceback.
    """

    def __init__(self, *args: Any, builds: Builds, **kwargs: Any) -> None:
        self.builds = builds  # set first: the base class handles the request in __init__
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per error only
        return

    def send_head(self) -> Any:
        if urllib.parse.urlsplit(self.path).path == BUILD_PATH:
            return self._send(HTTPStatus.OK, "application/json", self.builds.status_json())
        status = self._refusal()
        if status is not None:
            self.send_error(status)
            return None
        page = self._page()
        if page is None:
            return super().send_head()  # assets, and the redirect of /folder to /folder/
        number, problems = self.builds.state()
        if problems:
            return self._send(HTTPStatus.INTERNAL_SERVER_ERROR, HTML, error_page(problems, number))
        if not page.is_file():
            return super().send_head()  # the site's 404 page
        return self._send(HTTPStatus.OK, HTML, inject(page.read_bytes(), number))

    def _page(self) -> Path | None:
        """The HTML file this request asks for (existing or not), None for other files."""
        raw = urllib.parse.urlsplit(self.path).path
        target = Path(self.translate_path(self.path))
        if raw.endswith("/"):
            return target / "index.html"
        return target if target.suffix in (".html", ".htm") else None

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> io.BytesIO:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _refusal(self) -> HTTPStatus | None:
        """Why this request's path is not served, or None to serve it."""
        raw = urllib.parse.urlsplit(self.path).path
        try:
            path = urllib.parse.unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return HTTPStatus.BAD_REQUEST
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path) or "\\" in path:
            return HTTPStatus.BAD_REQUEST
        if any(part.startswith(".") for part in path.split("/")):
            return HTTPStatus.NOT_FOUND  # dot-files, and '..' climbing out
        root = os.path.realpath(self.directory)
        target = os.path.realpath(self.translate_path(self.path))
        if target != root and not target.startswith(root + os.sep):
            return HTTPStatus.NOT_FOUND  # a symlink leading out of the preview
        return None

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without index.html is not a page: 404, never a listing."""
        self.send_error(HTTPStatus.NOT_FOUND)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # always show the latest build
        super().end_headers()


class PreviewServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not a traceback: a browser closing a connection early is routine."""
        kind, error = sys.exc_info()[:2]
        name = kind.__name__ if kind else "error"
        err.print(f"warning: request from {client_address[0]}: {name}: {error}", markup=False)


def start_server(
    directory: Path, host: str, port: int, builds: Builds | None = None
) -> ThreadingHTTPServer:
    """An HTTP server on its own daemon thread; the caller shuts it down."""
    handler = partial(PreviewHandler, directory=str(directory), builds=builds or Builds())
    server = PreviewServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="syndicate-serve", daemon=True).start()
    return server


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free).")
@click.option(
    "--channels",
    default="html,feeds",
    show_default=True,
    help="Comma-separated channels to build for the preview (pages link to the feeds).",
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Preview folder.")
@click.option("--drafts", is_flag=True, help="Include drafts in the preview.")
@click.option("--future", is_flag=True, help="Include scheduled stories in the preview.")
@click.option("--no-watch", is_flag=True, help="Build and serve once; do not rebuild.")
@pass_state
def serve(
    state: State,
    host: str,
    port: int,
    channels: str,
    out: Path | None,
    drafts: bool,
    future: bool,
    no_watch: bool,
) -> None:
    """Preview the site on http://127.0.0.1:8000/, rebuilding when content or templates change."""
    names = [c.strip() for c in channels.split(",") if c.strip()]
    with user_errors(state):
        config = state.config
        target = (out or config.preview_dir).resolve()
    builds = Builds()
    publisher = ResidentPublisher(
        state.config_path,
        channels=names,
        output_dir=target,
        include_drafts=drafts,
        include_future=future,
        report=_say_now,
        report_error=lambda line: err.print(line, markup=False, highlight=False),
        finished=builds.finished,
    )
    with user_errors(state):  # the first build must work: there is nothing to serve yet
        outcome = publish(config, channels=names, output_dir=target, include_drafts=drafts,
                          resident=publisher.resident, when=When(None, future))  # fmt: skip
    publisher.next_change = outcome.next_change
    server = start_server(target, host, port, builds)
    bound_port = server.server_address[1]
    say(f"serving {target} at http://{host}:{bound_port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    stop = threading.Event()
    try:
        if not no_watch:
            publisher.run(stop)
        else:
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
    say("stopped")


def _say_now(line: str) -> None:
    say(line)
    sys.stdout.flush()
