"""Every label in the templates is in the shipped catalogues, and dates follow the locale."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from syndicate_channels.html import i18n

from syndicate.templating import bundled_templates_dir

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def template_messages() -> set[str]:
    found = extract_from_dir(
        str(bundled_templates_dir() / "html"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def python_messages() -> set[str]:
    source = (i18n.LOCALE_DIR.parent / "pages.py").read_text(encoding="utf-8")
    return set(re.findall(r'_\("([^"]+)"\)', source))


def test_every_label_is_translated_in_every_catalogue() -> None:
    wanted = template_messages() | python_messages()
    assert {"Related news", "Source:", "Scan to read on your phone", "Skip to content"} <= wanted
    assert set(i18n.catalogue_names()) >= {"en", "zh_Hans"}
    for name in i18n.catalogue_names():
        with (i18n.LOCALE_DIR / name / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        ids = {m.id for m in catalog if m.id}
        missing = wanted - ids
        assert not missing, (name, missing)
        for message in catalog:
            if not message.id:
                continue
            assert message.string, (name, message.id)
            assert sorted(PLACEHOLDER.findall(str(message.id))) == sorted(
                PLACEHOLDER.findall(str(message.string))
            ), (name, message.id)


def test_catalogue_lookup_falls_back_sensibly() -> None:
    assert i18n.translations("zh-Hans").gettext("Related news") == "相关新闻"
    assert i18n.translations("zh-Hans-CN").gettext("Related news") == "相关新闻"
    assert i18n.translations("en-GB").gettext("Related news") == "Related news"
    assert i18n.translations("fr").gettext("Related news") == "Related news"
    assert str(i18n.babel_locale("zh-Hans")) == "zh_Hans"
    assert str(i18n.babel_locale("xx-Nope")) == "en"


def test_dates_use_the_locale_and_site_time_zone() -> None:
    moment = datetime(2024, 2, 20, 1, 30, tzinfo=UTC)
    taipei = ZoneInfo("Asia/Taipei")
    assert (
        i18n.Dates("en", taipei).datetime(moment) == "February 20, 2024, 9:30\u202fAM GMT+08:00"
    )  # CLDR: narrow no-break space; the zone shown, as a reader elsewhere needs it
    assert i18n.Dates("zh-Hans", taipei).datetime(moment) == "2024年2月20日 09:30 GMT+08:00"
    assert i18n.Dates("en", None).datetime(moment).endswith("1:30\u202fAM UTC")  # UTC
    assert i18n.Dates("zh-Hans", taipei).date(moment) == "2024年2月20日"
    # Without a site zone the date keeps its own offset.
    late = datetime(2024, 2, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert i18n.Dates("en", None).date(late) == "February 20, 2024"
    assert i18n.Dates("en", taipei).date(late) == "February 21, 2024"


def test_social_and_news_language_codes() -> None:
    assert i18n.og_locale("en") == "en_US"
    assert i18n.og_locale("zh-Hans") == "zh_CN"
    assert i18n.og_locale("pt-BR") == "pt_BR"
    assert i18n.news_language("zh-Hans") == "zh-cn"
    assert i18n.news_language("en-GB") == "en"
