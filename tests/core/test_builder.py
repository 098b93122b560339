"""Building the model: slugs, dates, related articles, breadcrumbs, derived fields."""

from __future__ import annotations

from datetime import timedelta

from conftest import SiteFactory


def test_full_article_model(site: SiteFactory) -> None:
    site.section("finance", "Finance")
    site.section("finance/financial-focus", "Financial Focus")
    site.write_config()
    site.article("finance/financial-focus", "sasac-ai-meeting", title="SASAC meets on AI")
    site.article(
        "finance/financial-focus",
        "sora-film-industry",
        body="Sora can write, shoot and edit.\n\n## Post-production\n\nText.\n\n## Jobs\n",
        title='Will Sora become a director & "screenwriter"?',
        published="2024-02-20T09:30:00+08:00",
        updated="2024-02-21T08:00:00+08:00",
        authors=["Li Wei"],
        source={"name": "Chongqing Morning Post", "url": "https://example.com/o/1"},
        tags=["AI", "film"],
        related=["sasac-ai-meeting"],
        image={"src": "/media/sora.jpg", "alt": "A frame", "caption": "c", "credit": "d"},
    )
    site.static("media/sora.jpg")
    result = site.build()
    assert result.problems == []
    article = result.site.by_slug["sora-film-industry"]
    assert [c.title for c in article.breadcrumb] == [
        "Taiwan Strait Network",
        "Finance",
        "Financial Focus",
    ]
    assert article.url == "https://news.example.com/finance/financial-focus/sora-film-industry/"
    assert article.published.utcoffset() == timedelta(hours=8)
    assert article.updated is not None and article.modified == article.updated
    assert article.summary == "Sora can write, shoot and edit."
    assert [h.text for h in article.headings] == ["Post-production", "Jobs"]
    assert 'id="post-production"' in article.body_html
    assert article.related[0].title == "SASAC meets on AI"
    assert article.source is not None and article.source.name == "Chongqing Morning Post"
    assert article.image is not None and article.image.alt == "A frame"
    assert article.word_count == 9  # headings count too
    assert article.uid == "tag:news.example.com,2024-01-01:article/sora-film-industry"
    assert article.language == "en"


def test_section_title_defaults_to_folder_name(site: SiteFactory) -> None:
    site.article("finance/financial-focus", "a")
    article = site.build().site.by_slug["a"]
    assert [c.title for c in article.breadcrumb][1:] == ["Finance", "Financial Focus"]


def test_drafts_are_skipped_unless_requested(site: SiteFactory) -> None:
    site.article("news", "draft-one", draft=True)
    site.article("news", "live", related=["draft-one"])
    built = site.build()
    assert [a.slug for a in built.site.articles] == ["live"]
    assert built.drafts == 1 and built.errors == []
    (warning,) = built.warnings  # a takedown by drafting never waits for the referrers
    assert str(warning) == "news/live.md:2: related: 'draft-one' is a draft; left out"
    assert {a.slug for a in site.build(drafts=True).site.articles} == {"draft-one", "live"}


def test_duplicate_slugs_name_both_files(site: SiteFactory) -> None:
    site.article("a", "same")
    site.article("b", "other", slug="same")
    (problem,) = site.build().problems
    assert "duplicate slug 'same'" in problem.message
    assert "a/same.md" in problem.message or "a/same.md" in str(problem.path)


def test_slug_with_slash_or_dots_is_rejected(site: SiteFactory) -> None:
    site.article("a", "x", slug="../etc/passwd")
    site.article("a", "y", slug="a/b")
    messages = [p.message for p in site.build().problems]
    assert len(messages) == 2 and all("invalid" in m for m in messages)


def test_unknown_related_names_both(site: SiteFactory) -> None:
    site.article("a", "x", related=["nowhere"])
    (problem,) = site.build().problems
    assert str(problem.path).endswith("x.md") and "'nowhere'" in problem.message
    assert problem.severity == "warning"


def test_naive_datetime_needs_a_site_timezone(site: SiteFactory) -> None:
    site.settings["site"].pop("timezone")
    site.write_config()
    site.raw("a/naive.md", "---\ntitle: t\npublished: 2024-02-20 09:30:00\n---\nBody\n")
    (problem,) = site.build().problems
    assert "no UTC offset" in problem.message and problem.line == 3


def test_naive_datetime_uses_site_timezone(site: SiteFactory) -> None:
    site.raw("a/naive.md", "---\ntitle: t\npublished: 2024-02-20 09:30:00\n---\nBody\n")
    article = site.build().site.articles[0]
    assert article.published.utcoffset() == timedelta(hours=8)


def test_newest_first_and_sections_include_subsections(site: SiteFactory) -> None:
    site.article("finance", "old", published="2024-01-01T00:00:00+00:00")
    site.article("finance/markets", "new", published="2024-02-01T00:00:00+00:00")
    built = site.build().site
    assert [a.slug for a in built.articles] == ["new", "old"]
    assert [a.slug for a in built.in_section("finance")] == ["new", "old"]
    assert [a.slug for a in built.in_section("finance", recursive=False)] == ["old"]
    assert built.sections["finance"].children == ("finance/markets",)


def test_chinese_article_gets_ascii_slug_from_file_name(site: SiteFactory) -> None:
    site.raw(
        "a/文生视频.md",
        "---\ntitle: 文生视频\npublished: 2024-02-20\nlanguage: zh-Hans\n---\n人工智能视频。\n",
    )
    article = site.build().site.articles[0]
    assert article.slug == "wen-sheng-shi-pin"
    assert article.word_count == 6
