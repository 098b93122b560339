"""Property tests: any valid front matter loads; any invalid one is a problem, not a crash."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.builder import build_site
from syndicate.model import SiteInfo
from syndicate.reader import read_content

INFO = SiteInfo("T", "https://news.example.com/", "en", None, "", "news.example.com")
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")
slugs = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)
zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
dates = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
matters = st.fixed_dictionaries(
    {"title": text, "published": dates.map(lambda d: d.replace(microsecond=0).isoformat())},
    optional={
        "summary": text,
        "authors": st.lists(text, max_size=3),
        "tags": st.lists(text, max_size=4),
        "source": st.fixed_dictionaries({"name": text}),
        "language": st.sampled_from(["en", "zh-Hans", "fr"]),
        "draft": st.just(False),
        "image": st.fixed_dictionaries(
            {"src": slugs.map(lambda s: f"/media/{s}.jpg"), "alt": text}
        ),
    },
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write(root: Path, name: str, raw: str) -> Path:
    folder = root / "content" / "news"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / name).write_text(raw, encoding="utf-8")
    return root / "content"


@SETTINGS
@given(matter=matters, slug=slugs, body=st.text(max_size=200))
def test_valid_front_matter_always_loads(
    tmp_path: Path, matter: dict[str, object], slug: str, body: str
) -> None:
    body = "".join(c for c in body if c in string.printable and c not in "\x0b\x0c\r")
    raw = "---\n" + yaml.safe_dump(matter, allow_unicode=True) + "---\n" + body
    content = write(tmp_path, f"{slug}.md", raw)
    result = build_site(
        read_content(content, max_file_bytes=10**6), INFO, permalink="{section}/{slug}/"
    )
    assert result.problems == []
    (article,) = result.site.articles
    assert article.title == matter["title"]
    assert article.slug == slug
    assert article.published.tzinfo is not None
    assert article.published.astimezone(UTC) == datetime.fromisoformat(
        str(matter["published"])
    ).astimezone(UTC)


broken_values = st.one_of(
    st.just("---\n"),
    st.just("---\n: : :\n---\n"),
    st.builds(lambda t: f"---\ntitle: {t}\n---\n", text),  # no published
    st.builds(lambda t: f"---\npublished: 2024-01-01\ntitle: [{t}\n---\n", text),
    st.builds(
        lambda v: f"---\ntitle: t\npublished: {v}\n---\n",
        st.sampled_from(["yesterday", "2024-13-40", "[1, 2]", "{a: b}", "true"]),
    ),
    st.builds(
        lambda v: f"---\ntitle: t\npublished: 2024-01-01\nslug: '{v}'\n---\n",
        st.sampled_from(["A B", "../x", "a/b", "-", "UPPER"]),
    ),
    st.builds(lambda t: f"---\n- {t}\n---\n", text),
    st.builds(
        lambda t: f"---\ntitle: t\npublished: 2024-01-01\nimage: {{alt: '{t}'}}\n---\n",
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=5),
    ),
)


@SETTINGS
@given(raw=broken_values)
def test_invalid_front_matter_is_a_problem_not_a_crash(tmp_path: Path, raw: str) -> None:
    content = write(tmp_path, "bad.md", raw)
    result = build_site(
        read_content(content, max_file_bytes=10**6), INFO, permalink="{section}/{slug}/"
    )
    assert result.problems, raw
    assert all(str(p).startswith("news/bad.md") for p in result.problems)
    assert result.site.articles == ()
