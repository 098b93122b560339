"""YAML reading with the C loader when libyaml is available (about 7x faster)."""

from __future__ import annotations

from typing import Any

import yaml

Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # pure Python if no libyaml


def yaml_error_line(error: yaml.YAMLError) -> int | None:
    """1-based line of a YAML error, when the parser knows it."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None
