"""The channel interface: settings come from the type argument, typed and validated."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from conftest import SiteFactory
from sample_channel import TextChannel, TextSettings

from syndicate.channel import Channel, OutputFile, channel_settings
from syndicate.config import ChannelSettings
from syndicate.errors import ConfigError
from syndicate.model import Site


class OldStyleSettings(ChannelSettings):
    flag: bool = False


class OldStyle(Channel[ChannelSettings]):
    """A channel written before the type argument: its own `Settings` still counts."""

    name = "old"
    Settings = OldStyleSettings

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        return ()


def test_settings_come_from_the_type_argument(site: SiteFactory) -> None:
    assert TextChannel.Settings is TextSettings
    site.write_config(channels={"text": {"suffix": ".md"}})
    settings = channel_settings(TextChannel, site.config())
    assert isinstance(settings, TextSettings) and settings.suffix == ".md"


def test_a_channel_setting_it_does_not_know_is_an_error(site: SiteFactory) -> None:
    site.write_config(channels={"text": {"sufix": ".md"}})
    with pytest.raises(ConfigError, match=r"channels\.text\.sufix: unknown setting"):
        channel_settings(TextChannel, site.config())


def test_an_explicit_settings_class_wins(site: SiteFactory) -> None:
    assert OldStyle.Settings is OldStyleSettings
    site.write_config(channels={"old": {"flag": True}})
    settings = channel_settings(OldStyle, site.config())
    assert isinstance(settings, OldStyleSettings) and settings.flag
