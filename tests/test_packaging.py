"""What a clone and a wheel hold: every channel package, the license, dependencies that
runtime code imports, docs whose links resolve, and a channel example that builds."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def build_wheel(source: Path, out: Path) -> zipfile.ZipFile:
    """Offline, with the setuptools of this environment (the `dev` extras pin it)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def test_a_new_channel_folder_is_in_the_wheel(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for name in ("syndicate", "channels", "sources", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    extra = source / "channels/carrier_pigeon"
    extra.mkdir()
    (extra / "__init__.py").write_text('"""A channel added later."""\n', encoding="utf-8")
    (extra / "coop.py").write_text("", encoding="utf-8")
    wheel = build_wheel(source, tmp_path / "dist")
    names = set(wheel.namelist())
    assert {"syndicate_channels/carrier_pigeon/__init__.py",
            "syndicate_channels/carrier_pigeon/coop.py"} <= names  # fmt: skip
    for channel in ("feeds", "html", "newsletter", "print", "push"):
        assert f"syndicate_channels/{channel}/__init__.py" in names
    for package in (
        "syndicate/delivery",
        "syndicate/engine",
        "syndicate/ingest",
        "syndicate_sources",
    ):
        assert f"{package}/__init__.py" in names
    assert "syndicate_templates/html/article.html" in names
    assert "syndicate_channels/html/locale/zh_Hans/LC_MESSAGES/messages.po" in names
    assert not any(n.startswith(("channels/", "tests/")) for n in names)
    (info,) = {n.split("/")[0] for n in names if ".dist-info/" in n}
    assert f"{info}/licenses/LICENSE" in names
    metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert metadata["License-Expression"] == "MIT"
    runtime = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert not [r for r in runtime if r.startswith(("qrcode", "certifi"))]


def test_license_is_mit() -> None:
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def imported_top_levels() -> set[str]:
    names = set()
    for file in [
        *ROOT.joinpath("syndicate").rglob("*.py"),
        *ROOT.joinpath("channels").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def test_every_runtime_dependency_is_imported_by_runtime_code() -> None:
    """A dependency nothing imports at run time belongs in the extras (or nowhere)."""
    providers = packages_distributions()
    imported = {
        dist.lower().replace("_", "-")
        for module in imported_top_levels()
        for dist in providers.get(module, [])
    }
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in imported, f"{requirement}: no module of syndicate or channels imports it"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "doc", ["README.md", *[f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")]]
)
def test_relative_links_resolve_in_the_repository(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        assert (ROOT / doc).parent.joinpath(target).exists(), f"{doc}: {target}"
    assert "/work/shared" not in text and "shared folder" not in text


def test_architecture_channel_example_builds_a_package(tmp_path: Path) -> None:
    """The worked example in docs/architecture.md is complete: its two files build a
    wheel that registers the channel and holds its code."""
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    example = text[text.index("## Adding a channel") :]
    code = re.search(r"```python\n(# newsroom_text/__init__.py\n.*?)```", example, re.DOTALL)
    toml = re.search(r"```toml\n(# newsroom-text/pyproject.toml.*?)```", example, re.DOTALL)
    assert code and toml
    package = tmp_path / "newsroom-text"
    (package / "newsroom_text").mkdir(parents=True)
    (package / "newsroom_text/__init__.py").write_text(code[1], encoding="utf-8")
    (package / "pyproject.toml").write_text(toml[1], encoding="utf-8")
    wheel = build_wheel(package, tmp_path / "dist")
    assert "newsroom_text/__init__.py" in wheel.namelist()
    (points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert "[syndicate.channels]\ntext = newsroom_text:TextChannel" in wheel.read(points).decode()
    compile(code[1], "newsroom_text/__init__.py", "exec")
