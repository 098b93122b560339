"""Output paths: what a channel may write, checked the cheap way and the plain way alike."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.errors import PublishError
from syndicate.writer import safe_relpath

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
