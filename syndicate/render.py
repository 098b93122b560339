"""Render stage: the channels' output for a site, as plain files.

A pure function of the site, the channels' settings and their templates. The engine
(`syndicate.engine.render`) calls the same pieces one at a time, skipping those whose
inputs did not change and spreading the rest over cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from .channel import AnyChannel, Channel, Deferred, OutputFile, Page, UndeclaredRead
from .errors import ChannelError, SyndicateError
from .model import Article, Site
from .templating import template_location

Piece = TypeVar("Piece", OutputFile, OutputFile | Page | Deferred)


def render_site(adapters: Iterable[AnyChannel], site: Site) -> Iterator[OutputFile]:
    """Every file every channel writes for `site`, rendered from scratch."""
    for adapter in adapters:
        if renders_articles(adapter):
            for article in site.articles:
                yield from checked(adapter, article_renderer(adapter, article, site))
        for item in site_pieces(adapter, site):
            if isinstance(item, OutputFile):
                yield item
            else:
                yield from checked(adapter, piece_renderer(item))


def renders_articles(adapter: AnyChannel) -> bool:
    """Whether the channel writes per-article files (feeds, push and newsletter do not)."""
    return type(adapter).render_article is not Channel.render_article


def article_renderer(
    adapter: AnyChannel, article: Article, site: Site
) -> Callable[[], Iterable[OutputFile]]:
    return lambda: adapter.render_article(article, site)


def piece_renderer(piece: Page | Deferred) -> Callable[[], Iterable[OutputFile]]:
    """A page's render, handed the articles it declared (as views of the declared fields)."""
    return piece.files if isinstance(piece, Page) else piece.render


def site_pieces(adapter: AnyChannel, site: Site) -> Iterator[OutputFile | Page | Deferred]:
    """The channel's site-wide output: files, and pages to render when what they read changed."""
    return checked(adapter, lambda: adapter.render_site(site))


def checked(adapter: AnyChannel, render: Callable[[], Iterable[Piece]]) -> Iterator[Piece]:
    """Channel bugs become one ChannelError naming the channel, not a traceback."""
    try:
        yield from render()
    except UndeclaredRead as exc:
        where = template_location(exc)
        if where is None:
            raise
        raise UndeclaredRead(f"{where}: {exc}") from None
    except SyndicateError:
        raise
    except Exception as exc:
        where = template_location(exc)
        raise ChannelError(
            f"{where + ': ' if where else ''}channel {adapter.name!r} failed: "
            f"{type(exc).__name__}: {exc}"
        ) from None
