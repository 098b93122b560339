"""Lead images: sizes and WebP made once with Pillow, cached by digest, written as output."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import html5lib
import pytest
from PIL import Image

from .conftest import Published, write_image

ARTICLE = "finance/financial-focus/sora-film-industry/index.html"


def _img(page: str) -> Any:
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    return tree.find(".//figure[@class='lead']/picture")


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


def test_lead_image_has_dimensions_srcset_and_webp(published: Published) -> None:
    picture = _img(published.page(ARTICLE))
    source, img = picture.find("source"), picture.find("img")
    assert source.get("type") == "image/webp"
    root = "../../../"
    candidates = [c.strip().split(" ") for c in img.get("srcset").split(",")]
    webps = [c.strip().split(" ") for c in source.get("srcset").split(",")]
    assert [w for _, w in candidates] == ["320w", "640w", "960w", "1200w"]
    assert [w for _, w in webps] == ["320w", "640w", "960w", "1200w"]
    for (url, width), (webp, _) in zip(candidates, webps, strict=True):
        assert url.startswith(root) and webp.startswith(root) and webp.endswith(".webp")
        expected = int(width.removesuffix("w"))
        assert _size(published.out / url.removeprefix(root)) == (
            expected,
            round(expected * 675 / 1200),
        )
        with Image.open(published.out / webp.removeprefix(root)) as im:
            assert im.format == "WEBP" and im.width == expected
    assert img.get("sizes") and source.get("sizes") == img.get("sizes")
    tree = html5lib.parse(published.page(ARTICLE), namespaceHTMLElements=False)
    og = {m.get("property"): m.get("content") for m in tree.iter("meta") if m.get("property")}
    assert og["og:image"] == "https://news.example.com/media/sora.jpg"
    assert (og["og:image:width"], og["og:image:height"]) == ("1200", "675")


def test_tags_index_lists_every_tag_once_with_counts(published: Published) -> None:
    tree = html5lib.parse(published.page("tags/index.html"), namespaceHTMLElements=False)
    rows = [
        ("".join(li.find("a").itertext()), li.find("a").get("href"), li.find("span").text)
        for li in tree.findall(".//ul[@class='tag-index']/li")
    ]
    assert ("AI", "../tags/ai/", "3") in rows and len({r[1] for r in rows}) == len(rows)
    home = html5lib.parse(published.page("index.html"), namespaceHTMLElements=False)
    assert "tags/" in [a.get("href") for a in home.findall(".//footer//a")]


def test_image_beside_the_article_is_copied_next_to_its_page(published: Published) -> None:
    picture = _img(published.page("world/old-news/index.html"))
    img = picture.find("img")
    assert (img.get("width"), img.get("height")) == ("500", "300")
    assert img.get("srcset").endswith("old-photo.png 500w")
    assert (published.out / "world/old-news/old-photo.png").is_file()
    assert any(c.strip().endswith(".png 320w") for c in img.get("srcset").split(","))


def test_thumbnails_on_lists_and_no_repeats_on_home(published: Published) -> None:
    tree = html5lib.parse(published.page("finance/index.html"), namespaceHTMLElements=False)
    lead = tree.find(".//article[@class='lead-story']//picture/img")
    assert lead is not None and lead.get("width") == "1200"
    home = html5lib.parse(published.page("index.html"), namespaceHTMLElements=False)
    thumbs = home.findall(".//li[@class='teaser has-thumb']//img")
    assert thumbs and all(t.get("loading") == "lazy" for t in thumbs)
    unsized = [t.get("src") for t in thumbs if not t.get("width")]
    assert len(unsized) < len(thumbs)
    assert all("lead.jpg" in (src or "") for src in unsized)  # the hostile site's missing file


def _encodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = Image.Image.save

    def spy(self: Image.Image, fp: Any, format: str | None = None, **kw: Any) -> None:
        if isinstance(fp, io.BytesIO):
            calls.append(str(format))
        real(self, fp, format, **kw)

    monkeypatch.setattr(Image.Image, "save", spy)
    return calls


def test_unchanged_images_are_not_encoded_again(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = write_image(site.root / "static/media/a.jpg", (700, 400))
    site.article("news", "one", image={"src": "/media/a.jpg", "alt": "A"})
    site.article("news", "external", image={"src": "https://cdn.example.com/b.jpg", "alt": "B"})
    site.write_config()
    encodes = _encodes(monkeypatch)
    assert site.cli("publish", "--channels", "html").exit_code == 0
    assert sorted(encodes) == sorted(["JPEG", "WEBP", "JPEG", "WEBP", "WEBP"])  # 320, 640, 700
    public = site.root / "public"
    old = sorted(p.relative_to(public).as_posix() for p in (public / "img").rglob("*.*"))
    assert len(old) == 5
    encodes.clear()
    assert site.cli("publish", "--channels", "html", "--force").exit_code == 0
    assert encodes == []  # from the cache folder, keyed by the source's digest
    page = (public / "news/external/index.html").read_text(encoding="utf-8")
    assert '<img src="https://cdn.example.com/b.jpg" alt="B"' in page and "srcset" not in page

    write_image(photo, (900, 300))  # new bytes, same name
    assert site.cli("publish", "--channels", "html").exit_code == 0
    assert encodes  # re-encoded
    new = sorted(p.relative_to(public).as_posix() for p in (public / "img").rglob("*.*"))
    assert not set(old) & set(new)  # the writer removed the stale copies it wrote
    img = _img((public / "news/one/index.html").read_text(encoding="utf-8")).find("img")
    assert (img.get("width"), img.get("height")) == ("900", "300")


def test_image_paths_never_leave_the_site(site: Any) -> None:
    write_image(site.root / "secret.jpg", (400, 300))  # outside content/ and static/
    site.article("news", "escape", image={"src": "../../secret.jpg", "alt": "x"})
    site.article("news", "missing", image={"src": "nope.jpg", "alt": "gone"})
    site.write_config()
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code == 0
    public = site.root / "public"
    escape = (public / "news/escape/index.html").read_text(encoding="utf-8")
    assert "secret" not in escape and "<figure" not in escape
    assert not list(public.rglob("secret*"))
    # A missing picture is left out (with a warning), not shown as a broken image.
    missing = (public / "news/missing/index.html").read_text(encoding="utf-8")
    assert "nope.jpg" not in missing and "<figure" not in missing
    assert "warning: news/missing.md: image: nope.jpg is not in static/" in result.output


def _img_tag(page: str) -> Any:
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    return tree.find(".//figure[@class='lead']/img")
