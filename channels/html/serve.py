"""`syndicate serve`: build, serve the pages on 127.0.0.1, rebuild when sources change.

The preview is written to its own folder under the cache dir (not the live output), and
only runs the channels asked for (html by default), so a preview never pushes to
partners or mails subscribers from their `after_publish` hooks. Rebuilding is the
engine's resident publisher (`syndicate.engine.watch`), the same loop `syndicate watch`
runs on the live output.
"""

from __future__ import annotations

import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

from syndicate.commands import State, err, pass_state, say, user_errors
from syndicate.engine.watch import ResidentPublisher
from syndicate.pipeline import publish

PREVIEW_DIR = "preview"


class PreviewHandler(SimpleHTTPRequestHandler):
    """Static files from the preview folder; missing pages get the site's 404.html."""

    def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per error only
        return

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


def start_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server on its own daemon thread; the caller shuts it down."""
    handler = partial(PreviewHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="syndicate-serve", daemon=True).start()
    return server


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free).")
@click.option(
    "--channels",
    default="html",
    show_default=True,
    help="Comma-separated channels to build for the preview.",
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Preview folder.")
@click.option("--drafts", is_flag=True, help="Include drafts in the preview.")
@click.option("--no-watch", is_flag=True, help="Build and serve once; do not rebuild.")
@pass_state
def serve(
    state: State,
    host: str,
    port: int,
    channels: str,
    out: Path | None,
    drafts: bool,
    no_watch: bool,
) -> None:
    """Preview the site on http://127.0.0.1:8000/, rebuilding when content or templates change."""
    names = [c.strip() for c in channels.split(",") if c.strip()]
    with user_errors(state):
        config = state.config
        target = (out or config.cache_dir / PREVIEW_DIR).resolve()
    publisher = ResidentPublisher(
        state.config_path,
        channels=names,
        output_dir=target,
        include_drafts=drafts,
        report=_say_now,
        report_error=lambda line: err.print(line, markup=False, highlight=False),
    )
    with user_errors(state):  # the first build must work: there is nothing to serve yet
        publish(config, channels=names, output_dir=target, include_drafts=drafts,
                resident=publisher.resident)  # fmt: skip
    server = start_server(target, host, port)
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
