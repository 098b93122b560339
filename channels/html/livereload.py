"""Live reload for `syndicate serve`: pages reload themselves after each rebuild.

Only the preview server adds this: it puts a small script into every HTML page it sends
(never into a file, so published output stays JavaScript-free). The script asks
`/__syndicate/build` for the build number twice a second and reloads the page when it
changes. While the last build failed, every page is an error page naming the files and
lines, carrying the same script, so the next good save brings the page back by itself.
"""

from __future__ import annotations

import html
import json
import threading

BUILD_PATH = "/__syndicate/build"
_SCRIPT = (
    "<script>/* syndicate serve: reload after a rebuild (preview only) */"
    "(function(){{var b={build};setInterval(function(){{"
    "fetch('{path}',{{cache:'no-store'}}).then(function(r){{return r.json()}})"
    ".then(function(j){{if(j.build!==b)location.reload()}}).catch(function(){{}})"
    "}},500)}})();</script>"
)


class Builds:
    """The preview's build number and the last build's problems, shared across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.number = 0
        self.problems: tuple[str, ...] = ()

    def finished(self, changed: bool, problems: list[str]) -> None:
        """A build ended: a new number when the pages changed or went from broken to
        fixed or back, so open pages reload exactly then."""
        with self._lock:
            if changed or problems or self.problems:
                self.number += 1
            self.problems = tuple(problems)

    def state(self) -> tuple[int, tuple[str, ...]]:
        with self._lock:
            return self.number, self.problems

    def status_json(self) -> bytes:
        number, problems = self.state()
        return json.dumps({"build": number, "ok": not problems}).encode()


def script(build: int) -> str:
    return _SCRIPT.format(build=build, path=BUILD_PATH)


def inject(page: bytes, build: int) -> bytes:
    """`page` with the reload script before `</body>` (or at its end)."""
    tag = script(build).encode()
    at = page.rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def error_page(problems: tuple[str, ...], build: int) -> bytes:
    """What every page shows while the last build failed: its problems, one per line."""
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in problems)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>Build failed | syndicate serve</title></head><body>"
        '<main style="font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;'
        'padding:0 1rem"><h1>The last build failed</h1>'
        "<p>The preview shows the last good build again as soon as the problems below are "
        f"fixed.</p><ul>{items}</ul></main>{script(build)}</body></html>"
    ).encode()
