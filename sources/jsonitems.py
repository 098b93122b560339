"""Small readers for JSON values that may be of any type (the document is untrusted)."""

from __future__ import annotations

from typing import Any


def string(value: Any) -> str | None:
    """A non-empty string, or a number as text (ids often are numbers); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def names(people: Any) -> tuple[str, ...]:
    """Names from a list of `{"name": ...}` objects or strings."""
    found: list[str] = []
    for person in people if isinstance(people, list) else []:
        name = string(person.get("name")) if isinstance(person, dict) else string(person)
        if name and name not in found:
            found.append(name)
    return tuple(found)


def first_value(items: Any, roles: tuple[str, ...] = ("main", "")) -> Any:
    """ninjs 2.x `headlines`/`bodies`/`descriptions`: the first whose role is in `roles`
    (a missing role counts as ""), else the first of all; returns the whole object."""
    if not isinstance(items, list):
        return None
    objects = [i for i in items if isinstance(i, dict)]
    for role in roles:
        for item in objects:
            if (string(item.get("role")) or "") == role:
                return item
    return objects[0] if objects else None


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list, or of a mapping's values (ninjs 1.x `renditions`, 2.x lists)."""
    listed = list(value.values()) if isinstance(value, dict) else value
    return [v for v in listed if isinstance(v, dict)] if isinstance(listed, list) else []
