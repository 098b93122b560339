"""Real fonts for the edition PDF, embedded and subset, so a press prints what we proofed.

The PDF base-14 fonts (Helvetica) and CID fonts (STSong-Light) are not embedded: a
press's preflight rejects them and every reader substitutes its own glyphs. reportlab
embeds a subset of any TrueType font, so the sheet uses one Latin family (DejaVu Sans,
regular and bold) and one CJK font with TrueType outlines (WenQuanYi Zen Hei by default;
Noto Sans CJK ships as CFF outlines, which reportlab cannot embed). CJK fonts with
TrueType outlines come in one weight, so CJK bold is drawn as fill plus stroke.
Paths can be set in `channels.print.fonts`; otherwise the usual Debian locations
(packages fonts-dejavu-core and fonts-wqy-zenhei) are searched.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from syndicate.errors import ChannelError

from .settings import FontSettings

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# (file name, subfont index of a .ttc collection), best first; searched below FONT_DIRS.
SEARCH: dict[str, tuple[tuple[str, int], ...]] = {
    "regular": (("DejaVuSans.ttf", 0), ("LiberationSans-Regular.ttf", 0)),
    "bold": (("DejaVuSans-Bold.ttf", 0), ("LiberationSans-Bold.ttf", 0)),
    "cjk": (
        ("wqy-zenhei.ttc", 0),
        ("wqy-microhei.ttc", 0),
        ("DroidSansFallbackFull.ttf", 0),
        ("uming.ttc", 0),
    ),
}
PACKAGES = {"regular": "fonts-dejavu-core", "bold": "fonts-dejavu-core", "cjk": "fonts-wqy-zenhei"}
FAKE_BOLD_STROKE = 0.035  # stroke width of fake bold, as a share of the font size


@dataclass(frozen=True)
class Face:
    """A registered font: its reportlab name, and whether bold must be faked with a stroke."""

    name: str
    fake_bold: bool = False


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    cjk: str
    _latin_chars: frozenset[int]

    def face(self, text: str, bold: bool = False) -> Face:
        """The Latin face when it has every character of `text`, else the CJK one.

        A mixed headline ("Sora 来了") goes wholly in the CJK font, whose Latin letters
        match its own Chinese ones, and keeps its bold through the stroke.
        """
        if all(ord(c) in self._latin_chars for c in text):
            return Face(self.bold if bold else self.regular)
        return Face(self.cjk, fake_bold=bold)


def _find(kind: str) -> tuple[Path, int] | None:
    for name, index in SEARCH[kind]:
        for folder in FONT_DIRS:
            if not folder.is_dir():
                continue
            found = next(iter(sorted(folder.rglob(name))), None)
            if found is not None:
                return found, index
    return None


def _register(kind: str, configured: str | None) -> str:
    if configured:
        location: tuple[Path, int] | None = (Path(configured), 0)
        where = f"channels.print.fonts.{kind}"
    else:
        location = _find(kind)
        where = ""
    if location is None:
        names = ", ".join(name for name, _ in SEARCH[kind])
        raise ChannelError(
            f"print: no {kind} font for the PDF (looked for {names} under "
            f"{', '.join(map(str, FONT_DIRS))}); install the Debian package {PACKAGES[kind]} "
            f"or set channels.print.fonts.{kind} to a TrueType font file"
        )
    path, index = location
    # One name per file: a process may lay out sheets of sites with different fonts.
    name = f"syndicate-{kind}-{zlib.crc32(f'{path}:{index}'.encode()):08x}"
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    except (OSError, TTFError) as exc:
        prefix = f"{where}: " if where else ""
        raise ChannelError(f"print: {prefix}{path}: not a usable TrueType font: {exc}") from None
    return name


@cache
def _load(regular: str | None, bold: str | None, cjk: str | None) -> FontSet:
    names = [_register(k, v) for k, v in (("regular", regular), ("bold", bold), ("cjk", cjk))]
    font = pdfmetrics.getFont(names[0])
    chars = frozenset(font.face.charToGlyph)  # type: ignore[attr-defined]
    return FontSet(names[0], names[1], names[2], chars)


def load_fonts(settings: FontSettings) -> FontSet:
    """The sheet's fonts, found and registered once per process."""
    return _load(settings.regular, settings.bold, settings.cjk)
