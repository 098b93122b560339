"""Shared test fixtures: a throwaway site on disk and an in-process CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from pgserver import pg_server, pg_url  # noqa: F401  (fixtures: a real PostgreSQL)

from syndicate.builder import BuildResult
from syndicate.cli import cli
from syndicate.config import Config, load_config
from syndicate.pipeline import load_site

DEFAULT_SITE = {
    "title": "Taiwan Strait Network",
    "base_url": "https://news.example.com/",
    "language": "en",
    "timezone": "Asia/Taipei",
}


@dataclass
class SiteFactory:
    """Writes content files and syndicate.yaml into a temporary folder."""

    root: Path
    settings: dict[str, Any] = field(default_factory=lambda: {"site": dict(DEFAULT_SITE)})

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def config_path(self) -> Path:
        return self.root / "syndicate.yaml"

    def write_config(self, **top_level: Any) -> Path:
        self.settings.update(top_level)
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            yaml.safe_dump(self.settings, allow_unicode=True), encoding="utf-8"
        )
        return self.config_path

    def section(self, path: str, title: str, description: str = "") -> Path:
        file = self.content / path / "_index.md"
        file.parent.mkdir(parents=True, exist_ok=True)
        matter = {"title": title, "description": description}
        file.write_text(
            "---\n" + yaml.safe_dump(matter, allow_unicode=True) + "---\n", encoding="utf-8"
        )
        return file

    def article(self, section: str, name: str, body: str = "Body text.\n", **matter: Any) -> Path:
        """content/<section>/<name>.md; the file name is the slug unless `slug=` is given."""
        matter.setdefault("title", name.replace("-", " ").title())
        matter.setdefault("published", "2024-02-20T09:30:00+08:00")
        file = self.content / section / f"{name}.md"
        file.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(matter, allow_unicode=True, sort_keys=False)
        file.write_text(f"---\n{text}---\n{body}", encoding="utf-8")
        return file

    def raw(self, relpath: str, data: bytes | str) -> Path:
        file = self.content / relpath
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        file.write_bytes(data)
        return file

    def static(self, relpath: str, data: bytes = b"\xff\xd8\xff") -> Path:
        """A file in static/ (by default the start of a JPEG: a lead image that exists)."""
        file = self.root / "static" / relpath
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        return file

    def config(self) -> Config:
        if not self.config_path.exists():
            self.write_config()
        return load_config(self.config_path)

    def build(self, *, drafts: bool = False) -> BuildResult:
        return load_site(self.config(), include_drafts=drafts)

    def cli(self, *args: str) -> Result:
        if not self.config_path.exists():
            self.write_config()
        runner = CliRunner()
        return runner.invoke(
            cli, ["--config", str(self.config_path), *args], catch_exceptions=False
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteFactory]:
    yield SiteFactory(tmp_path / "site")


@pytest.fixture
def text_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Install only the sample `text` channel, as if registered through an entry point."""
    from importlib.metadata import EntryPoint

    import syndicate.channel as channel_module

    entry = EntryPoint(name="text", value="sample_channel:TextChannel", group="syndicate.channels")
    installed = {"text": channel_module.InstalledChannel("text", entry)}
    monkeypatch.setattr(channel_module, "installed_channels", lambda: dict(installed))
