"""The shared PNG renderer and the print channel's QR cache."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from syndicate_channels.print.qrimages import QrImages, QrSizeError, QrSpec

from syndicate import qr

URL = "https://news.example.com/s/abc2345/"
Decode = Callable[..., list[str]]


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_png_decodes_at_every_error_correction_level(
    level: qr.ErrorCorrection, decode_png: Decode
) -> None:
    data = qr.qr_png(URL, error_correction=level)
    assert decode_png(data) == [URL]


@pytest.mark.parametrize(("size_mm", "dpi"), [(25, 300), (30, 600), (40, 150)])
def test_png_has_the_printed_size_and_dpi(size_mm: float, dpi: int, decode_png: Decode) -> None:
    image = Image.open(io.BytesIO(qr.qr_png(URL, size_mm=size_mm, dpi=dpi)))
    expected = round(size_mm / 25.4 * dpi)
    assert image.size == (expected, expected)
    # PNG stores whole pixels per metre: 1 px/m is 0.0254 dpi
    assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.0254 / 2 + 1e-9)
    assert image.mode == "1"
    assert decode_png(qr.qr_png(URL, size_mm=size_mm, dpi=dpi)) == [URL]


def test_png_modules_are_whole_pixels_and_quiet_zone_is_white() -> None:
    matrix = qr.qr_matrix(URL, "M")
    size_px = qr.png_pixels(25, 300)
    image = Image.open(io.BytesIO(qr.matrix_png(matrix, size_px=size_px, dpi=300))).convert("L")
    scale = size_px // len(matrix)
    offset = (size_px - scale * len(matrix)) // 2
    # Every module is a uniform scale x scale block of the matrix's colour.
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            block = image.crop(
                (
                    offset + x * scale,
                    offset + y * scale,
                    offset + (x + 1) * scale,
                    offset + (y + 1) * scale,
                )
            )
            low, high = block.getextrema()  # type: ignore[misc]
            assert (low, high) == ((0, 0) if dark else (255, 255)), (x, y)
    quiet = qr.QUIET_ZONE * scale + offset
    assert image.crop((0, 0, size_px, quiet)).getextrema() == (255, 255)


def test_svg_document_with_size_decodes(decode_svg: Decode) -> None:
    svg = qr.qr_svg(URL, size="25mm", title="a <title> & more")
    assert 'width="25mm"' in svg
    assert "&lt;title&gt; &amp;" in svg
    assert decode_svg(svg) == [URL]


def test_too_few_pixels_for_the_modules_is_a_clear_error(tmp_path: Path) -> None:
    images = QrImages(QrSpec("H", 10, 72), tmp_path)
    with pytest.raises(QrSizeError, match="raise size_mm or dpi"):
        images.get(URL + "with/a/longer/path/so/it/needs/more/modules/")


def test_cache_hit_skips_encoding_and_survives_a_new_instance(
    tmp_path: Path, encoded: list[str], decode_png: Decode
) -> None:
    calls = encoded
    spec = QrSpec("M", 25, 300)
    first = QrImages(spec, tmp_path).get(URL)
    second = QrImages(spec, tmp_path).get(URL)
    assert calls == [URL]
    assert second == first
    assert decode_png(second.png) == [URL]
    QrImages(QrSpec("Q", 25, 300), tmp_path).get(URL)  # another key: encoded again
    assert calls == [URL, URL]


def test_damaged_cache_entry_is_re_encoded(
    tmp_path: Path, decode_png: Decode, decode_svg: Decode
) -> None:
    spec = QrSpec("M", 25, 300)
    QrImages(spec, tmp_path).get(URL)
    (tmp_path / f"{spec.key(URL)}.json").write_text("{not json", encoding="utf-8")
    art = QrImages(spec, tmp_path).get(URL)
    assert decode_png(art.png) == [URL]
    assert decode_svg(art.svg(size="25mm")) == [URL]


def test_prune_keeps_only_what_is_still_encoded(tmp_path: Path) -> None:
    images = QrImages(QrSpec("M", 25, 300), tmp_path)
    images.get(URL)
    images.get(URL + "old/")
    assert images.prune([URL]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{images.spec.key(URL)}{ext}" for ext in (".json", ".png")
    )
