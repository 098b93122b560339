"""Pages declare what they read; the engine keys them on exactly that and hands them
only that. A page showing a field it did not declare fails loudly; an edit to a field
no page declared re-renders none of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields as dataclass_fields
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from conftest import SiteFactory
from listing_channel import INDEX, RENDERED

import syndicate.channel as channel_module
from syndicate.channel import (
    EVERY_FIELD,
    ArticleView,
    Channel,
    ChannelContext,
    Deferred,
    OutputFile,
    Page,
    Reads,
    UndeclaredRead,
    view_class,
)
from syndicate.config import ChannelSettings
from syndicate.digests import fields_digest, fingerprint
from syndicate.engine.keys import reads_key
from syndicate.errors import ChannelError
from syndicate.fields import Correction, Source
from syndicate.model import Image, Site
from syndicate.render import render_site


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Install only the `listing` test channel, as if registered through an entry point."""
    value = "listing_channel:ListingChannel"
    entry = EntryPoint(name="listing", value=value, group="syndicate.channels")
    installed = {"listing": channel_module.InstalledChannel("listing", entry)}
    monkeypatch.setattr(channel_module, "installed_channels", lambda: dict(installed))
    RENDERED.clear()
    yield
    RENDERED.clear()


def configure(site: SiteFactory, **settings: Any) -> None:
    site.write_config(channels={"listing": settings})


def publish(site: SiteFactory) -> str:
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("listing")
def test_a_page_showing_a_field_it_did_not_declare_fails_loudly(site: SiteFactory) -> None:
    site.article("news", "harbour-opens", summary="Ships are back.")
    configure(site, declare=["title"], show="summary")
    result = site.cli("publish")
    assert result.exit_code != 0
    # The page, the field and the article are named; nothing was published.
    assert INDEX in result.output and "'summary'" in result.output, result.output
    assert "harbour-opens" in result.output and "declares only: title" in result.output
    assert not (site.root / "public" / INDEX).exists()


@pytest.mark.usefixtures("listing")
def test_the_error_is_not_an_attribute_error_jinja_would_swallow(site: SiteFactory) -> None:
    site.article("news", "harbour-opens", summary="Ships are back.")
    configure(site, declare=["title"], show="summary")
    (adapter,) = _channels(site)
    (page,) = adapter.render_site(site.build().site)
    assert isinstance(page, Page)
    with pytest.raises(UndeclaredRead) as raised:
        list(page.files())  # through a StrictUndefined Jinja template, as pages render
    assert not isinstance(raised.value, AttributeError)
    assert isinstance(raised.value, ChannelError)


@pytest.mark.usefixtures("listing")
def test_a_declared_field_re_renders_the_page_and_an_undeclared_one_does_not(
    site: SiteFactory,
) -> None:
    site.article("news", "harbour-opens", summary="Ships are back.")
    site.article("news", "rail-strike", published="2024-02-21T09:30:00+08:00")
    configure(site, declare=["title"], show="title")
    publish(site)
    assert RENDERED == [INDEX]
    index = site.root / "public" / INDEX

    # The body and the summary are not declared: the page is carried over, not rendered.
    site.article("news", "harbour-opens", body="A new body.\n", summary="Changed.")
    publish(site)
    assert RENDERED == [INDEX]

    site.article("news", "harbour-opens", title="Harbour reopens", summary="Changed.")
    publish(site)
    assert RENDERED == [INDEX, INDEX]
    assert "<li>Harbour reopens</li>" in index.read_text(encoding="utf-8")

    # Declaring one more field is a new key: rendered once, then carried over again.
    configure(site, declare=["title", "summary"], show="title")
    publish(site)
    publish(site)
    assert RENDERED == [INDEX, INDEX, INDEX]


def test_a_misspelt_field_is_refused_before_anything_renders() -> None:
    misspelt = Reads(fields=("titel",))
    with pytest.raises(ChannelError, match="unknown article field 'titel'"):
        reads_key(misspelt)  # when the engine keys the page
    with pytest.raises(ChannelError, match="unknown article field 'titel'"):
        Page(misspelt, lambda listed: []).listed()  # when the plain render stage runs it
    with pytest.raises(ChannelError, match="tuple"):
        reads_key(Reads(fields=["title"]))  # type: ignore[arg-type]


def test_a_view_reads_only_what_was_declared(site: SiteFactory) -> None:
    site.article("news", "harbour-opens", summary="Ships are back.", subtitle="x")
    (article,) = site.build().site.articles
    view: Any = view_class(("title", "summary"))(article, "news/index.html")
    assert isinstance(view, ArticleView)
    assert (view.title, view.summary) == (article.title, "Ships are back.")
    assert not hasattr(view, "__html__")  # what markupsafe and Jinja probe for
    with pytest.raises(UndeclaredRead, match=r"news/index.html reads 'body_html' of article"):
        view.body_html  # noqa: B018
    with pytest.raises(AttributeError):
        view.title = "Overwritten"
    (page_article,) = Page(Reads([article], EVERY_FIELD), lambda listed: []).listed()
    assert page_article is article  # every field declared: the article itself


def test_keys_follow_the_declared_fields_only(site: SiteFactory) -> None:
    site.article("news", "harbour-opens", summary="Ships are back.")
    before = site.build().site.articles[0]
    site.article("news", "harbour-opens", body="Another body.\n", summary="Ships are back.")
    body_edit = site.build().site.articles[0]
    site.article("news", "harbour-opens", body="Another body.\n", summary="Changed.")
    summary_edit = site.build().site.articles[0]

    teaser = ("title", "summary", "published")
    keys = [reads_key(Reads([a], teaser)) for a in (before, body_edit, summary_edit)]
    assert keys[0] == keys[1] != keys[2]
    whole = [reads_key(Reads([a], EVERY_FIELD)) for a in (before, body_edit)]
    assert whole[0] != whole[1]  # a full-content feed shows the body
    # Memoized on the article per fields tuple: listed on many pages, digested once.
    assert before._digests is not None and teaser in before._digests
    assert fields_digest(before, teaser) is before._digests[teaser]


def test_every_part_of_a_record_reaches_the_digest(site: SiteFactory) -> None:
    """Sources, corrections and lead images are digested part by part (fast): each
    part changes the key, and a part added to one of them must be digested too."""
    assert [f.name for f in dataclass_fields(Source)] == ["name", "url"]
    assert [f.name for f in dataclass_fields(Correction)] == ["date", "text"]
    assert [f.name for f in dataclass_fields(Image)] == ["src", "alt", "caption", "credit"]
    variants = [
        {"source": {"name": "Daily", "url": "https://daily.example.com/"}},
        {"source": {"name": "Daily", "url": "https://daily.example.com/a"}},
        {"source": {"name": "Weekly", "url": "https://daily.example.com/a"}},
        {"corrections": [{"date": "2024-03-02", "text": "Fixed a name."}]},
        {"corrections": [{"date": "2024-03-03", "text": "Fixed a name."}]},
        {"corrections": [{"date": "2024-03-03", "text": "Fixed a date."}]},
    ]
    keys = set()
    for matter in variants:
        site.article("news", "harbour-opens", **matter)
        (article,) = site.build().site.articles
        keys.add(fields_digest(article, ("source", "corrections")))
    assert len(keys) == len(variants)


def _channels(site: SiteFactory) -> list[Any]:
    from syndicate.pipeline import make_channels

    return make_channels(site.config(), None, site.root / "public")


class Legacy(Channel[ChannelSettings]):
    """A channel written before `Page`: it keys its index itself."""

    name = "legacy"

    def render_site(self, site: Site) -> Iterable[OutputFile | Page | Deferred]:
        text = "".join(a.title + "\n" for a in site.articles)
        yield Deferred(fingerprint(text), lambda: [OutputFile.text("legacy.txt", text)])


def test_a_deferred_piece_still_renders_with_a_deprecation_warning(site: SiteFactory) -> None:
    site.article("news", "harbour-opens")
    built = site.build().site
    context = ChannelContext(site.config(), None, site.root / "public", site.root / "state")  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="Page"):
        (file,) = render_site([Legacy(ChannelSettings(), context)], built)
    assert file == OutputFile.text("legacy.txt", "Harbour Opens\n")
