"""Publishing through the real CLI: every written QR decodes to exactly the intended URL."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib
import pytest
from syndicate_channels.print.text import ELLIPSIS

from syndicate import qr

Decode = Callable[..., list[str]]
BASE = "https://news.example.com/"
LONG_TITLE = (
    "Will Sora become a director, a screenwriter, then unemployed? Film crews, editors and "
    "visual effects artists across the region weigh what text-to-video means for them"
)
LONG_SUMMARY = (
    "Industry figures weigh what text-to-video generation means for post-production houses, "
    "visual effects studios and the thousands of freelancers they employ across the region, "
    "and whether retraining schemes can keep pace with the technology."
)
CHINESE_TITLE = (
    "人工智能视频模型Sora发布后，影视行业从业者开始担心后期制作岗位会不会被取代，业内人士怎么看"
)
CHINESE_SUMMARY = (
    "业内人士表示，文本生成视频技术将对后期制作、视觉特效公司以及在其中工作的数千名自由职业者"
    "产生深远影响，但短期内难以完全取代人工，培训和转岗将成为行业的重要议题，地方政府也在研究"
    "相应的扶持政策，以帮助受影响的从业人员适应新的工作方式，并推动产业链上下游协同发展。"
    "专家建议企业尽早布局，在人才培养、技术研发和内容创作等方面加大投入，同时关注版权保护与伦理"
    "规范，避免新技术带来的风险，让更多从业者分享技术进步的成果。"
)
assert len(CHINESE_SUMMARY) > 180 and len(LONG_SUMMARY) > 180  # longer than any tested limit


def _write(site: Any, **print_settings: Any) -> None:
    site.article(
        "finance",
        "sora-film-industry",
        title=LONG_TITLE,
        summary=LONG_SUMMARY,
        published="2024-02-20T09:30:00+08:00",
        source={"name": "Chongqing Morning Post", "url": "https://example.com/original/123"},
    )
    site.article(
        "china",
        "sora-zh",
        title=CHINESE_TITLE,
        summary=CHINESE_SUMMARY,
        language="zh-Hans",
        # 23:30 UTC on the 20th is the 21st in Taipei: the edition date is the site's day
        published="2024-02-20T23:30:00+00:00",
    )
    site.write_config(channels={"print": print_settings} if print_settings else {})


def _publish(site: Any) -> Path:
    result = site.cli("publish", "--channels", "print")
    assert result.exit_code == 0, result.output
    return Path(site.root / "public")


def _redirect(public: Path, short_url: str) -> tuple[str, str, str]:
    """(meta refresh target, canonical href, link href) of a short link's page."""
    path = public / short_url.removeprefix(BASE) / "index.html"
    doc = html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)
    refresh = doc.find(".//meta[@http-equiv='refresh']").get("content")
    match = re.fullmatch(r"0; url=(.+)", refresh)
    assert match, refresh
    canonical = doc.find(".//link[@rel='canonical']").get("href")
    link = doc.find(".//body//a").get("href")
    return match.group(1), canonical, link


def _snippet_fields(public: Path, slug: str) -> list[str]:
    return (public / "print" / slug / "snippet.txt").read_text(encoding="utf-8").splitlines()


SCAN = {"sora-zh": "扫码阅读："}  # zh-Hans boxes say it in Chinese
SOURCE = {"sora-zh": "来源："}


def _short_url(public: Path, slug: str) -> str:
    scan = SCAN.get(slug, "Scan to read: ")
    line = next(x for x in _snippet_fields(public, slug) if x.startswith(scan))
    return line.removeprefix(scan)


@pytest.mark.parametrize("slug", ["sora-film-industry", "sora-zh"])
def test_every_qr_decodes_to_the_short_url_which_redirects_to_the_article(
    site: Any, slug: str, decode_png: Decode, decode_svg: Decode
) -> None:
    _write(site)
    public = _publish(site)
    short = _short_url(public, slug)
    assert re.fullmatch(rf"{BASE}s/[2-9a-hjkmnp-z]{{7}}/", short)
    folder = public / "print" / slug
    assert decode_png((folder / "qr.png").read_bytes()) == [short]
    assert decode_svg((folder / "qr.svg").read_bytes()) == [short]
    assert decode_svg((folder / "snippet.svg").read_bytes()) == [short]

    section = "finance" if slug == "sora-film-industry" else "china"
    day = "2024-02-20" if slug == "sora-film-industry" else "2024-02-21"
    article_url = f"{BASE}{section}/{slug}/"
    target, canonical, link = _redirect(public, short)
    assert target == link == f"{article_url}?utm_source=print&utm_medium=qr&utm_campaign={day}"
    assert canonical == article_url


def test_full_url_mode_encodes_the_campaign_url(
    site: Any, decode_png: Decode, decode_svg: Decode
) -> None:
    _write(site, use_short_url=False, error_correction="H")
    public = _publish(site)
    expected = f"{BASE}china/sora-zh/?utm_source=print&utm_medium=qr&utm_campaign=2024-02-21"
    assert decode_png((public / "print/sora-zh/qr.png").read_bytes()) == [expected]
    assert decode_svg((public / "print/sora-zh/snippet.svg").read_bytes()) == [expected]


def test_campaign_settings_and_switching_them_off(site: Any, decode_png: Decode) -> None:
    _write(
        site,
        use_short_url=False,
        utm={"source": "daily", "campaign": "paper-{date}", "content": "{slug}"},
    )
    public = _publish(site)
    assert decode_png((public / "print/sora-film-industry/qr.png").read_bytes()) == [
        f"{BASE}finance/sora-film-industry/?utm_source=daily&utm_medium=qr"
        "&utm_campaign=paper-2024-02-20&utm_content=sora-film-industry"
    ]
    site.write_config(channels={"print": {"use_short_url": False, "utm": False}})
    public = _publish(site)
    assert decode_png((public / "print/sora-film-industry/qr.png").read_bytes()) == [
        f"{BASE}finance/sora-film-industry/"
    ]


def test_png_has_the_configured_printed_size(site: Any, decode_png: Decode) -> None:
    from PIL import Image

    _write(site, size_mm=30, dpi=600)
    public = _publish(site)
    image = Image.open(public / "print/sora-zh/qr.png")
    assert image.size == (709, 709)  # 30 mm / 25.4 * 600
    assert round(image.info["dpi"][0]) == 600
    assert decode_png((public / "print/sora-zh/qr.png").read_bytes()) == [
        _short_url(public, "sora-zh")
    ]
    assert 'width="30mm"' in (public / "print/sora-zh/qr.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("dek_chars", [40, 160])
def test_snippets_respect_the_dek_limit(site: Any, dek_chars: int) -> None:
    _write(site, dek_chars=dek_chars)
    public = _publish(site)
    for slug, summary, title, source in [
        ("sora-film-industry", LONG_SUMMARY, LONG_TITLE, "Chongqing Morning Post"),
        ("sora-zh", CHINESE_SUMMARY, CHINESE_TITLE, "Taiwan Strait Network"),
    ]:
        lines = _snippet_fields(public, slug)
        headline, blank, dek, *rest = lines
        assert headline == title and blank == ""
        assert len(dek) <= dek_chars
        assert dek.endswith(ELLIPSIS)
        assert summary.startswith(dek.removesuffix(ELLIPSIS))
        scan, label = SCAN.get(slug, "Scan to read: "), SOURCE.get(slug, "Source: ")
        assert rest[-2:] == [f"{scan}{_short_url(public, slug)}", f"{label}{source}"]
    chinese_dek = _snippet_fields(public, "sora-zh")[2]
    assert len(chinese_dek) == dek_chars  # no spaces to back up to: cut by characters


def test_snippet_svg_lines_fit_the_box(site: Any) -> None:
    import xml.etree.ElementTree as ET

    from syndicate_channels.print.snippets import BOX_WIDTH_MM, PADDING_MM
    from syndicate_channels.print.text import estimate_width

    _write(site)
    public = _publish(site)
    for slug in ("sora-film-industry", "sora-zh"):
        root = ET.fromstring((public / f"print/{slug}/snippet.svg").read_bytes())
        ns = "{http://www.w3.org/2000/svg}"
        width = float(root.get("viewBox", "").split()[2])
        assert width == BOX_WIDTH_MM
        texts = []
        for group in root.findall(f"{ns}g"):
            size = float(group.get("font-size", "0"))
            for text in group.findall(f"{ns}text"):
                x = float(text.get("x", "0"))
                assert x + estimate_width(text.text or "") * size <= width - PADDING_MM + 0.01
                texts.append(text.text or "")
        joined = "".join(texts).replace(" ", "")
        scan, label = SCAN.get(slug, "Scan to read: "), SOURCE.get(slug, "Source: ")
        assert scan.replace(" ", "") in joined and label.replace(" ", "") in joined


def test_unchanged_urls_are_not_encoded_again(site: Any, encoded: list[str]) -> None:
    _write(site)
    public = _publish(site)
    first = sorted(encoded)
    assert first == sorted(_short_url(public, s) for s in ("sora-film-industry", "sora-zh"))

    qr.qr_matrix.cache_clear()  # as in a new process: only the on-disk cache can help
    encoded.clear()
    before = {p: p.read_bytes() for p in (public / "print").rglob("qr.*")}
    forced = site.cli("publish", "--channels", "print", "--force")  # render every article
    assert forced.exit_code == 0, forced.output
    assert encoded == []
    assert {p: p.read_bytes() for p in (public / "print").rglob("qr.*")} == before

    # Editing title and date keeps the short link, so the code is not encoded again...
    site.article("finance", "sora-film-industry", title="A new headline",
                 published="2024-03-01T10:00:00+08:00")  # fmt: skip
    public = _publish(site)
    assert encoded == []
    assert (
        (public / "print/sora-film-industry/snippet.txt")
        .read_text("utf-8")
        .startswith("A new headline\n")
    )
    # ...but a setting that changes the encoded URL does re-encode, once per article.
    site.write_config(channels={"print": {"use_short_url": False}})
    _publish(site)
    assert len(encoded) == 2
    # and without the cache folder everything is encoded afresh.
    shutil.rmtree(site.root / ".syndicate/cache/print-qr")
    encoded.clear()
    qr.qr_matrix.cache_clear()
    assert site.cli("publish", "--channels", "print", "--force").exit_code == 0
    assert len(encoded) == 2


def test_site_title_change_updates_the_default_attribution(site: Any) -> None:
    _write(site)
    public = _publish(site)
    assert _snippet_fields(public, "sora-zh")[-1] == "来源：Taiwan Strait Network"
    site.settings["site"]["title"] = "Strait Times Network"
    site.write_config()
    public = _publish(site)
    assert _snippet_fields(public, "sora-zh")[-1] == "来源：Strait Times Network"
    assert _snippet_fields(public, "sora-film-industry")[-1] == "Source: Chongqing Morning Post"


def test_short_link_survives_title_and_date_edits(site: Any) -> None:
    _write(site)
    public = _publish(site)
    short = _short_url(public, "sora-film-industry")
    site.article("finance", "sora-film-industry", title="Completely different",
                 published="2024-03-01T10:00:00+08:00")  # fmt: skip
    public = _publish(site)
    assert _short_url(public, "sora-film-industry") == short
    target, _, _ = _redirect(public, short)
    assert target.endswith("utm_campaign=2024-03-01")


def test_removed_article_drops_its_short_link_and_print_files(site: Any) -> None:
    _write(site)
    public = _publish(site)
    short = _short_url(public, "sora-zh")
    (site.content / "china" / "sora-zh.md").unlink()
    public = _publish(site)
    assert not (public / short.removeprefix(BASE)).exists()
    assert not (public / "print" / "sora-zh").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"error_corection": "H"}, "channels.print.error_corection: unknown setting"),
        ({"error_correction": "X"}, "channels.print.error_correction"),
        ({"utm": {"campaign": "{day}"}}, "unknown placeholder"),
        ({"size_mm": 2}, "channels.print.size_mm"),
    ],
)
def test_bad_settings_are_one_line_errors_naming_the_key(
    site: Any, settings: dict[str, Any], message: str
) -> None:
    _write(site, **settings)
    result = site.cli("publish", "--channels", "print")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_markup_in_headlines_is_escaped_everywhere(
    site: Any, decode_svg: Decode, decode_png: Decode
) -> None:
    import xml.etree.ElementTree as ET

    title = 'Tom & Jerry <script>alert("x")</script> "quoted"'
    site.article("news", "markup", title=title, summary="A & B < C", source={"name": "R&D <Co>"})
    site.write_config()
    public = _publish(site)
    svg = (public / "print/markup/snippet.svg").read_bytes()
    root = ET.fromstring(svg)  # well-formed XML despite the markup
    title_el = root.find("{http://www.w3.org/2000/svg}title")
    assert title_el is not None and title_el.text == title
    assert b"<script" not in svg
    short = _short_url(public, "markup")
    assert decode_svg(svg) == [short]
    page = (public / short.removeprefix(BASE) / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "Tom &amp; Jerry &lt;script&gt;" in page
    lines = _snippet_fields(public, "markup")
    assert lines[0] == title and lines[-1] == "Source: R&D <Co>"  # plain text: verbatim


def test_article_without_summary_has_no_dek_block(site: Any, decode_svg: Decode) -> None:
    site.article("news", "bare", body="", title="Bare headline")
    site.write_config()
    public = _publish(site)
    short = _short_url(public, "bare")
    assert _snippet_fields(public, "bare") == [
        "Bare headline",
        "",
        f"Scan to read: {short}",
        "Source: Taiwan Strait Network",
    ]
    assert decode_svg((public / "print/bare/snippet.svg").read_bytes()) == [short]


def test_qr_cache_is_pruned_only_when_a_code_went_away(
    site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from syndicate_channels.print.qrimages import DB_NAME, QrImages

    def cached() -> int:
        db = site.root / ".syndicate/cache/print-qr" / DB_NAME
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM qr").fetchone()[0])

    prunes: list[int] = []
    real_prune = QrImages.prune

    def spy(self: QrImages, keep: Any) -> int:
        prunes.append(1)
        return real_prune(self, keep)

    monkeypatch.setattr(QrImages, "prune", spy)
    _write(site)
    _publish(site)
    assert cached() == 2 and len(prunes) == 1
    # A headline edit keeps every encoded URL: no walk over the articles to prune.
    site.article("finance", "sora-film-industry", title="A new headline",
                 published="2024-02-20T09:30:00+08:00")  # fmt: skip
    _publish(site)
    assert len(prunes) == 1
    # A removed article's code leaves the cache.
    (site.content / "china" / "sora-zh.md").unlink()
    _publish(site)
    assert len(prunes) == 2 and cached() == 1
