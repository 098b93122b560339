"""Where the bundled templates live (no Jinja2 import: the no-op publish path reads this)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled_templates_dir() -> Path:
    return Path(str(files("syndicate_templates")))
