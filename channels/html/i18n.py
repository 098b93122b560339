"""Translated labels and locale-aware dates for the HTML pages.

Catalogues ship as .po files in locale/, compiled in memory on first use
(syndicate.catalogues).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_time,
    get_datetime_format,
    get_time_format,
    get_timezone_gmt,
    tokenize_pattern,
)
from babel.lists import format_list
from babel.support import NullTranslations

from syndicate import catalogues

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"

# Open Graph wants language_TERRITORY; Google News wants its own short codes.
_OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN", "zh-hant": "zh_TW", "zh": "zh_CN"}
_NEWS_LANGUAGES = {"zh-hans": "zh-cn", "zh-hant": "zh-tw", "zh-cn": "zh-cn", "zh-tw": "zh-tw"}


def catalogue_names() -> list[str]:
    """Languages with a shipped catalogue, as folder names (zh_Hans)."""
    return catalogues.catalogue_names(LOCALE_DIR)


def translations(language: str) -> NullTranslations:
    """The gettext catalogue for a BCP 47 tag, falling back to English (the msgids)."""
    return catalogues.translations(LOCALE_DIR, language)


@lru_cache(maxsize=32)
def babel_locale(language: str) -> Locale:
    """zh-Hans -> Locale zh_Hans; an unknown tag falls back to English rather than failing."""
    for candidate in catalogues.candidates(language):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LANGUAGE)


@lru_cache(maxsize=4096)
def byline(authors: tuple[str, ...], language: str) -> str:
    """Authors as "Li Wei and Zhang Min" in the language's style. Cached: bylines repeat
    across a site and babel looks up the list patterns on every call."""
    return format_list(list(authors), locale=babel_locale(language)) if authors else ""


def og_locale(language: str) -> str | None:
    """Open Graph's ll_TT form, when we know it."""
    key = language.lower()
    if key in _OG_LOCALES:
        return _OG_LOCALES[key]
    parts = language.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return f"{parts[0].lower()}_{parts[-1].upper()}"
    return _OG_LOCALES.get(parts[0].lower())


def news_language(language: str) -> str:
    """The <news:language> code Google News expects (ISO 639; zh-cn / zh-tw for Chinese)."""
    key = language.lower()
    return _NEWS_LANGUAGES.get(key, key.split("-")[0])


# Time pattern fields that read only the hour and minute, so a formatted time can be
# shared by every article published in the same minute of the day.
_CLOCK_FIELDS = frozenset("hHKkma")


@lru_cache(maxsize=8192)
def _long_date(language: str, day: date) -> str:
    """Babel formats a date field by field (~10 us); a site has far fewer days than pages."""
    return format_date(day, "long", locale=babel_locale(language))


@lru_cache(maxsize=32)
def _time_pattern(language: str) -> tuple[bool, str]:
    """(whether the short time shows only hour and minute, the medium date-time glue)."""
    locale = babel_locale(language)
    tokens = tokenize_pattern(get_time_format("short", locale=locale).pattern)
    fields = {value[0] for kind, value in tokens if kind == "field"}
    return fields <= _CLOCK_FIELDS, str(get_datetime_format("medium", locale=locale))


@lru_cache(maxsize=4096)
def _clock_time(language: str, hour: int, minute: int) -> str:
    return format_time(time(hour, minute), "short", locale=babel_locale(language))


@lru_cache(maxsize=256)
def _zone_label(language: str, offset: timedelta | None) -> str:
    """ "GMT+08:00" (CLDR's localized GMT format): a shown time is useless to a reader
    in another zone without it, and abbreviations such as CST are ambiguous. "UTC" for
    no offset (babel would write GMT+00:00)."""
    if not offset:
        return "UTC"
    moment = datetime(2000, 1, 1, tzinfo=timezone(offset or timedelta(0)))
    return get_timezone_gmt(moment, width="long", locale=babel_locale(language))


@dataclass(frozen=True)
class Dates:
    """Formats dates for one language, shown in the site's time zone when it has one.

    Results are cached by what they show (the day; the hour and minute): babel formats
    field by field (~15 us a date and time) and a site has far fewer days than pages.
    """

    language: str
    zone: tzinfo | None

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone) if self.zone is not None else value

    def date(self, value: datetime) -> str:
        return _long_date(self.language, self.local(value).date())

    def datetime(self, value: datetime) -> str:
        local = self.local(value)
        clock_only, glue = _time_pattern(self.language)
        if clock_only:
            time_text = _clock_time(self.language, local.hour, local.minute)
        else:  # the pattern shows seconds or a zone: format this exact moment
            locale = babel_locale(self.language)
            time_text = format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
        time_text = f"{time_text} {_zone_label(self.language, local.utcoffset())}"
        return glue.replace("{1}", self.date(value)).replace("{0}", time_text)
