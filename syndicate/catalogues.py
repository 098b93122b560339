"""gettext catalogues for channels: .po files compiled in memory with Babel on first use.

Each channel keeps its own `locale/<lang>/LC_MESSAGES/messages.po` (channels never import
each other), so nobody has to remember a `compile` step; each catalogue is loaded once
per process.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "messages"


def catalogue_names(locale_dir: Path) -> list[str]:
    """Languages with a catalogue in `locale_dir`, as folder names (zh_Hans)."""
    return sorted(p.parent.parent.name for p in locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def candidates(language: str) -> list[str]:
    """zh-Hans-CN -> [zh_Hans_CN, zh_Hans, zh]: most specific first."""
    parts = language.replace("-", "_").split("_")
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


@lru_cache(maxsize=64)
def translations(locale_dir: Path, language: str) -> NullTranslations:
    """The catalogue for a BCP 47 tag, falling back to English (the msgids)."""
    available = {name.lower(): name for name in catalogue_names(locale_dir)}
    for candidate in candidates(language):
        name = available.get(candidate.lower())
        if name is not None:
            return _compile(locale_dir / name / "LC_MESSAGES" / f"{DOMAIN}.po")
    return NullTranslations()


def _compile(po_path: Path) -> Translations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
