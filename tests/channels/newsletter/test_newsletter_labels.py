"""A zh-Hans site's digest speaks Chinese: issue number, source, links and footer labels."""

from __future__ import annotations

from typing import Any

from conftest import SiteFactory

from .test_newsletter_send import SUBSCRIBERS, body_lines, make_site, subscribe_all


def _send(site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any) -> str:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS[:1])
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    (item,) = smtp_server.recorder.messages
    return "\n".join(body_lines(item.raw))


def test_chinese_site_digest_has_chinese_labels(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    site.settings["site"]["language"] = "zh-Hans"
    text = _send(site, smtp_server, nl_cli, nl_config)
    compact = "".join(text.split())
    assert "第1期" in compact and "来源：ChongqingMorningPost" in compact
    assert "\n链接\n" in text and "一键退订：" in compact and "您以ann@example.com订阅了" in compact
    for english in ("No. ", "Source:", "\nLinks\n", "Unsubscribe with one click", "You receive"):
        assert english not in text


def test_english_site_digest_keeps_english_labels(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    text = _send(site, smtp_server, nl_cli, nl_config)
    assert "No. 1" in text and "Source: Chongqing Morning Post" in text and "\nLinks\n" in text
    assert "You receive Daily Brief from" in " ".join(text.split())
