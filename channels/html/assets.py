"""The one stylesheet, written under a content-hashed name so browsers may cache it forever."""

from __future__ import annotations

import hashlib

from jinja2 import Environment, TemplateNotFound

from syndicate.errors import ChannelError

STYLESHEET_TEMPLATE = "html/style.css"


def stylesheet(env: Environment) -> tuple[str, bytes]:
    """(site path, bytes) of the stylesheet; a site's templates/html/style.css overrides it."""
    if env.loader is None:
        raise ChannelError("html: the template environment has no loader")
    try:
        source, _, _ = env.loader.get_source(env, STYLESHEET_TEMPLATE)
    except TemplateNotFound:
        raise ChannelError(f"html: template {STYLESHEET_TEMPLATE} not found") from None
    data = source.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"assets/style.{digest}.css", data
