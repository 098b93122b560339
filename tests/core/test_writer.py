"""Output paths: what a channel may write, checked the cheap way and the plain way alike."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.errors import PublishError
from syndicate.writer import StagedOutput, safe_relpath

PARTS = st.sampled_from(["a", "b.html", "", ".", "..", "x\\y", "index.html", "s"])


def plain_definition(path: str) -> str | None:
    """The rule itself: a relative path inside the folder, normalised; None if refused."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        return None
    return pure.as_posix()


@given(st.lists(PARTS, min_size=1, max_size=5), st.sampled_from(["", "/"]),
       st.sampled_from(["", "/"]))  # fmt: skip
def test_safe_relpath_follows_the_plain_definition(parts: list[str], lead: str, tail: str) -> None:
    path = lead + "/".join(parts) + tail
    expected = plain_definition(path)
    if expected is None:
        with pytest.raises(PublishError):
            safe_relpath(path)
    else:
        assert safe_relpath(path) == expected


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "", "a\\b", "."])
def test_paths_outside_the_output_are_refused(path: str) -> None:
    with pytest.raises(PublishError):
        safe_relpath(path)


def test_carrying_a_file_written_already_is_refused(tmp_path: Path) -> None:
    """`carry` checks by counting: a kept plan naming a file this publish wrote fails."""
    staged = StagedOutput(tmp_path / "public", tmp_path / "cache")
    rel, checksum = staged.add("news/a.html", b"a")
    staged.carry({"news/b.html": "b" * 32})  # apart: fine
    assert set(staged.files) == {rel, "news/b.html"}
    with pytest.raises(PublishError, match="two channels or pages write the same file"):
        staged.carry({"news/c.html": "c" * 32, rel: checksum})
    staged.abort()
