"""The edition PDF embeds real fonts a press accepts, and a mixed headline keeps its bold."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

DAY = "2024-02-20"
MIXED = "Sora 来了：AI 视频 arrives in studios"


def _pdffonts(pdf: Path) -> list[list[str]]:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed; scripts/setup.sh installs it")
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def _edition(site: Any) -> Path:
    site.article(
        "china", "mixed", title=MIXED, summary="业内人士表示影响深远。", language="zh-Hans",
        published=f"{DAY}T10:00:00+08:00",
    )  # fmt: skip
    site.article("finance", "plain", title="Markets close higher", published=f"{DAY}T11:00:00Z")
    site.write_config(channels={"print": {"per_page": 4}})
    result = site.cli("print", "--date", DAY, "--out", str(site.root / "sheets"))
    assert result.exit_code == 0, result.output
    return Path(site.root / "sheets" / f"{DAY}.pdf")


def test_every_font_is_embedded_and_subset(site: Any) -> None:
    fonts = _pdffonts(_edition(site))
    assert len(fonts) >= 3  # Latin regular and bold, CJK
    for row in fonts:
        name, emb, sub = row[0], row[-5], row[-4]
        assert (emb, sub) == ("yes", "yes"), row
        assert "Helvetica" not in name and "STSong" not in name, row
    assert any("WenQuanYi" in row[0] or "Droid" in row[0] for row in fonts)


def test_mixed_headline_is_drawn_bold_and_inked(site: Any) -> None:
    pdf = _edition(site)
    content = pdf.read_bytes()
    assert b"2 Tr" in content or _uncompressed_has_fake_bold(pdf)
    page = pypdfium2.PdfDocument(str(pdf))[0]
    scale = 2.0
    image = page.render(scale=scale).to_pil().convert("L")
    text = page.get_textpage().get_text_range()
    assert MIXED.split("：")[0] in text and "扫码阅读：" in text
    # The first box's headline sits in the box's first two lines, left of the QR code.
    mm = 72 / 25.4 * scale
    box = image.crop((int(15 * mm), int(23 * mm), int(150 * mm), int(33 * mm)))
    dark = sum(box.histogram()[:128])
    assert dark > 0.04 * box.width * box.height, dark
    # Bold: strokes thicker than the regular dek below it.
    dek = image.crop((int(15 * mm), int(35 * mm), int(150 * mm), int(45 * mm)))
    dek_dark = sum(dek.histogram()[:128])
    assert dark > dek_dark


def _uncompressed_has_fake_bold(pdf: Path) -> bool:
    import pypdf

    page = pypdf.PdfReader(pdf).pages[0]
    return b" 2 Tr" in page.get_contents().get_data()  # type: ignore[union-attr]


def test_missing_font_is_a_clear_error(site: Any) -> None:
    site.article("finance", "plain", published=f"{DAY}T11:00:00Z")
    site.write_config(channels={"print": {"fonts": {"cjk": str(site.root / "none.ttf")}}})
    result = site.cli("print", "--date", DAY, "--out", str(site.root / "sheets"))
    assert result.exit_code != 0
    assert "channels.print.fonts.cjk" in result.output and "none.ttf" in result.output
    assert not (site.root / "sheets" / f"{DAY}.pdf").exists()
