"""Jinja2 environment shared by channels: bundled templates, overridable per site.

A newsroom changes a layout by putting a file of the same name in its own `templates/`
folder (like Hugo's layouts/), without forking the package.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    select_autoescape,
)

from .templating_paths import bundled_templates_dir


class Templates:
    """A Jinja2 environment; HTML and XML templates are autoescaped, text ones are not."""

    def __init__(self, site_templates: Path | None = None) -> None:
        """No bytecode cache: Jinja2 keeps compiled templates as marshal data, which runs
        as code when loaded, and the cache folder is not trusted. Compiling every bundled
        template costs ~70-90 ms a publish here (vs ~8 ms from bytecode); a resident
        publisher compiles them once."""
        search = [bundled_templates_dir()]
        if site_templates is not None and site_templates.is_dir():
            search.insert(0, site_templates)
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(p)) for p in search]),
            autoescape=select_autoescape(["html", "htm", "xml", "xsl", "svg"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # one Templates per publish: no stat() per page
        )
        # Environments derived from this one (a language's catalogue as globals), kept
        # here so a resident publisher compiles their templates once, not per publish.
        self.overlays: dict[str, Environment] = {}

    def add_filters(self, **filters: Callable[..., Any]) -> None:
        self.env.filters.update(filters)

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)


TEMPLATE_SUFFIXES = (".html", ".htm", ".xml", ".xsl", ".svg", ".txt")


def template_location(exc: BaseException) -> str | None:
    """'file:line' of the template an error came from (Jinja2 puts template lines into
    tracebacks), so a broken layout is reported where it can be fixed."""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return f"{exc.filename or exc.name}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(TEMPLATE_SUFFIXES):
            return f"{frame.filename}:{frame.lineno}"
    return None
