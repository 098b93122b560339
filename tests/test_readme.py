"""Every YAML example in the README parses and validates as the tool would read it.

A newsroom copies these blocks into its syndicate.yaml; one that does not parse (an
unquoted `${VAR}` inside a flow mapping) is a broken first impression.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from syndicate.channel import channel_settings, installed_channels
from syndicate.config import load_config

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.M | re.S)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # Standard Webhooks' example
_SMALLEST = {"site": {"title": "T", "base_url": "https://news.example.com/"}}


def _blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_yaml_examples() -> None:
    assert len(_blocks()) >= 3


@pytest.mark.parametrize("block", _blocks(), ids=lambda b: b.splitlines()[0].strip())
def test_a_readme_yaml_block_is_valid_config(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = yaml.safe_load(block)
    assert isinstance(data, dict), "a README example must be a mapping of settings"
    for name in _ENV.findall(block):
        monkeypatch.setenv(
            name, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" if "SECRET" in name else "x"
        )
    path = tmp_path / "syndicate.yaml"
    config_data: dict[str, Any] = {**_SMALLEST, **data}
    path.write_text(yaml.safe_dump(config_data, allow_unicode=True), encoding="utf-8")
    config = load_config(path)  # raises ConfigError naming the key
    installed = installed_channels()
    for name in config.file.channels:
        channel_settings(installed[name].load(), config)
