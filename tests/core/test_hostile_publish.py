"""Property test (issue #16): hostile front matter and bodies, published through the CLI.

Whatever the articles hold, `syndicate publish` exits 0 or 1 (never 2, "unexpected"); on
1 it names a content file and leaves the previous output exactly as it was; and it
writes nothing outside the output folder and its own cache and state folders.
25 examples take a few seconds; HOSTILE_EXAMPLES=2000 hunts longer.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DEFAULT_SITE, SiteFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.cli import cli

NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
ODD_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1b", "\x7f", "\x85", "\u2028", "\ufffe", "\uffff", "\ufeff"]),
        st.sampled_from(["\u202e", "\u200b", "&", "<", '"', "'", ":", "#", "*"]),
    ),
    max_size=30,
)
# As YAML would see them written: quoted with escapes, single-quoted or plain.
SCALARS = st.one_of(
    ODD_TEXT.map(json.dumps),
    ODD_TEXT.map(lambda t: "'" + t.replace("'", "''") + "'"),
    ODD_TEXT.filter(lambda t: "\n" not in t and "\r" not in t),
    st.sampled_from(
        [
            "~",
            "true",
            "no",
            ".inf",
            "-.nan",
            "1e400",
            "0x1F",
            "0o17",
            "1_000",
            "12:30:00",
            "9" * 5000,
            "[]",
            "{}",
            "[a, [b, [c]]]",
            "{a: {b: c}}",
            "!!binary aGk=",
            "!!python/object:os.system",
            "&x [1, 2]",
            "*x",
            "<<: *x",
            "!!set {a, b}",
            "!!timestamp 2024-02-30",
            "@x",
            "`x`",
            "|",
            ">-",
            "- a",
        ]
    ),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "2024-02-20",
            "2024-02-20T09:30:00+08:00",
            "9999-12-31T23:00:00-12:00",
            "0001-01-01T00:00:00+14:00",
            "0001-01-01",
            "9999-12-31",
            "2024-13-40",
            "2024-02-20T25:00:00Z",
            "2024-02-20T09:30:00",
            "'2024-02-20T09:30:00+99:00'",
            "1970-01-01T00:00:00Z",
            "99999999999999999999",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
    SCALARS,
)
URLS = st.one_of(
    st.sampled_from(
        [
            "https://example.com/a?b=1&c=2",
            "/media/a.jpg",
            "media/a.jpg",
            "javascript:x",
            "' javascript:x'",
            '"java\\tscript:x"',
            "'&#106;avascript:x'",
            "data:x",
            "//evil.example/",
            "mailto:a@b.c",
            "'https://x.example/\"><script>'",
        ]
    ),
    SCALARS,
)
KEYS = st.sampled_from(
    ["title", "summary", "slug", "authors", "tags", "related", "language", "draft", "id"]
)
FIELDS = st.one_of(
    st.tuples(KEYS, SCALARS),
    st.tuples(st.just("published"), DATES),
    st.tuples(st.just("updated"), DATES),
    st.tuples(st.sampled_from(["source", "image"]), URLS),
    st.tuples(st.just("source"), URLS.map(lambda u: f"{{name: Wire, url: {u}}}")),
    st.tuples(st.just("image"), URLS.map(lambda u: f"{{src: {u}, alt: A}}")),
    st.tuples(st.sampled_from(["x-extra", "on", "1", "? complex"]), SCALARS),
)
BODIES = st.lists(
    st.one_of(
        ODD_TEXT,
        st.sampled_from(
            [
                "&#xFFFE;",
                "&#xFFFF;",
                "&#0;",
                "&#x1b;",
                "&#xD800;",
                "<script>alert(1)</script>",
                "[a](javascript:alert(1))",
                "![i](data:text/html,x)",
                "## Head\n",
                "---\n",
                "<img src=x onerror=alert(1)>",
                "| a |\n|---|\n| b |\n",
                "```\ncode\n",
            ]
        ),
    ),
    max_size=6,
).map("\n".join)


@st.composite
def articles(draw: st.DrawFn) -> str:
    """One article file's text: a usable title and date, then hostile fields."""
    lines = ["title: Hostile", "published: 2024-02-20T09:30:00+08:00"]
    lines += [f"{key}: {value}" for key, value in draw(st.lists(FIELDS, max_size=4))]
    newline = draw(NEWLINES)
    text = "---\n" + "\n".join(lines) + "\n---\n" + draw(BODIES) + "\n"
    return text.replace("\n", newline)


def snapshot(folder: Path, skip: tuple[Path, ...] = ()) -> dict[str, bytes]:
    files = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if Path(root, d) not in skip]
        for name in names:
            path = Path(root, name)
            files[path.relative_to(folder).as_posix()] = (
                path.read_bytes() if not path.is_symlink() else b"link"
            )
    return files


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteFactory]:
    site = SiteFactory(tmp_path_factory.mktemp("hostile") / "site")
    site.write_config(site=dict(DEFAULT_SITE))
    site.article("news", "steady", "A steady story.\n", tags=["ai"])
    result = site.cli("publish")
    assert result.exit_code == 0, result.output
    (site.root.parent / "outside.txt").write_text("not ours\n", encoding="utf-8")
    yield site


FOLDERS = st.sampled_from(
    ["hostile", "tags", "feed.json", "page", "a b", "新闻", "s", "x/atom.xml", "x/deep", "2024"]
)
STEMS = st.sampled_from(
    ["story", "Story Two", "steady", "tags", "x", "a#b", "404", "新闻", "_index"]
)


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    folder=FOLDERS,
    stems=st.lists(STEMS, min_size=1, max_size=2, unique=True),
    data=st.data(),
)
def test_hostile_articles_never_crash_publish(
    hostile_site: SiteFactory, folder: str, stems: list[str], data: st.DataObject
) -> None:
    site = hostile_site
    for old in site.content.iterdir():
        if old.name != "news":
            shutil.rmtree(old)
    names = [f"{folder}/{stem}.md" for stem in stems]
    for name in names:
        text = data.draw(articles(), label=name)
        (site.content / name).parent.mkdir(parents=True, exist_ok=True)
        (site.content / name).write_bytes(text.encode("utf-8", "surrogatepass"))
    public = site.root / "public"
    ours = (public, site.root / ".syndicate")
    before_output = snapshot(public)
    before_rest = snapshot(site.root.parent, skip=ours)
    config = ["--config", str(site.config_path)]

    checked = CliRunner().invoke(cli, [*config, "check"])
    result = CliRunner().invoke(cli, [*config, "publish"])

    assert checked.exit_code in (0, 1), checked.output
    assert result.exit_code in (0, 1), result.output
    assert snapshot(site.root.parent, skip=ours) == before_rest, "wrote outside its folders"
    if result.exit_code == 1:
        assert checked.exit_code == 1, "check passed what publish refused"
        assert any(name in result.output for name in [*names, f"{folder}/"]), result.output
        assert snapshot(public) == before_output, "a failed publish changed the output"
