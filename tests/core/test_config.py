"""syndicate.yaml: the smallest file works, env references expand, secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from syndicate.config import ChannelSettings, EnvStr, SecretField, load_config
from syndicate.errors import ConfigError

SMALLEST = """\
site:
  title: Taiwan Strait Network
  base_url: https://news.example.com/
  language: en
  timezone: Asia/Taipei      # optional: applies to dates written without an offset
"""


def test_smallest_config_from_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.yaml"
    path.write_text(SMALLEST, encoding="utf-8")
    config = load_config(path)
    assert config.site.base_url == "https://news.example.com/"
    assert config.output_dir == tmp_path / "public"
    assert config.content_dir == tmp_path / "content"
    assert config.site.timezone is not None and config.site.timezone.key == "Asia/Taipei"
    assert config.site.id_authority == "news.example.com"


def test_base_url_gets_trailing_slash(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.yaml"
    path.write_text("site: {title: T, base_url: 'https://x.example/news'}\n", encoding="utf-8")
    assert load_config(path).site.base_url == "https://x.example/news/"


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.yaml"
    path.write_text("site:\n  title: [x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"syndicate.yaml:\d+: invalid YAML"):
        load_config(path)


class PartnerSettings(ChannelSettings):
    host: EnvStr = "localhost"
    token: SecretField | None = None


def test_env_strings_expand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "mail.example.com")
    assert PartnerSettings.model_validate({"host": "${SMTP_HOST}"}).host == "mail.example.com"
    monkeypatch.delenv("SMTP_HOST")
    with pytest.raises(ValidationError, match="SMTP_HOST is not set"):
        PartnerSettings.model_validate({"host": "${SMTP_HOST}"})


def test_secrets_come_from_the_environment_and_never_print(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNER_TOKEN", "s3cr3t-value")
    settings = PartnerSettings.model_validate({"token": "${PARTNER_TOKEN}"})
    assert settings.token is not None and settings.token.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings)
    with pytest.raises(ValidationError, match=r"secrets are not stored in syndicate\.yaml"):
        PartnerSettings.model_validate({"token": "literal-token"})
    monkeypatch.delenv("PARTNER_TOKEN")
    with pytest.raises(ConfigError, match="PARTNER_TOKEN is not set"):
        settings.token.reveal()


def test_state_must_not_live_in_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "syndicate.yaml"
    path.write_text(SMALLEST + "cache_dir: .syndicate\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="state_dir must not be inside cache_dir"):
        load_config(path)
