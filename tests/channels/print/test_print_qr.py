"""The shared PNG renderer and the print channel's QR cache."""

from __future__ import annotations

import io
import random
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from PIL import Image
from syndicate_channels.print.qrimages import (
    DB_NAME,
    WRITE_BATCH,
    QrImages,
    QrSizeError,
    QrSpec,
)

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


def test_damaged_cache_row_is_re_encoded_and_replaced(
    tmp_path: Path, encoded: list[str], decode_png: Decode, decode_svg: Decode
) -> None:
    spec = QrSpec("M", 25, 300)
    QrImages(spec, tmp_path).get(URL)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # the row now claims another text
        conn.execute("UPDATE qr SET text = 'https://evil.example/', png = x'00'")
    art = QrImages(spec, tmp_path).get(URL)
    assert encoded == [URL, URL]
    assert decode_png(art.png) == [URL]
    assert decode_svg(art.svg(size="25mm")) == [URL]
    assert QrImages(spec, tmp_path).get(URL) == art  # the repaired row is a hit again
    assert encoded == [URL, URL]


def test_corrupt_database_file_is_replaced(
    tmp_path: Path, encoded: list[str], decode_png: Decode, decode_svg: Decode
) -> None:
    spec = QrSpec("M", 25, 300)
    (tmp_path / DB_NAME).write_bytes(random.Random(8).randbytes(9000))
    art = QrImages(spec, tmp_path).get(URL)
    assert decode_png(art.png) == [URL]
    assert decode_svg(art.svg(size="25mm")) == [URL]
    assert QrImages(spec, tmp_path).get(URL) == art  # a fresh database now holds it
    assert encoded == [URL]


def test_unusable_cache_folder_still_encodes(tmp_path: Path, decode_png: Decode) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    images = QrImages(QrSpec("M", 25, 300), blocked)
    assert decode_png(images.get(URL).png) == [URL]
    assert decode_png(images.get(URL).png) == [URL]
    assert images.prune([]) == 0


def test_no_cache_dir_encodes_every_time(encoded: list[str], decode_png: Decode) -> None:
    images = QrImages(QrSpec("M", 25, 300), None)
    assert decode_png(images.get(URL).png) == [URL]
    qr.qr_matrix.cache_clear()
    images.get(URL)
    assert encoded == [URL, URL]
    assert images.prune([]) == 0


def test_entries_written_by_forked_workers_are_hits_later(
    tmp_path: Path, decode_png: Decode
) -> None:
    spec = QrSpec("M", 25, 300)
    images = QrImages(spec, tmp_path)
    images.get(URL)  # the parent opens its connection before the fork, as in a publish
    _FORKED[:] = [images]  # workers inherit this very instance (and its connection)
    texts = [f"{URL}{n}/" for n in range(12)]
    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as pool:
        pngs = list(pool.map(_encode_in_worker, texts))
    assert [decode_png(png) for png in pngs] == [[t] for t in texts]
    images.flush()  # the parent's code waits for a full batch; the workers wrote at exit
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        stored = {row[0]: row[1] for row in conn.execute("SELECT text, png FROM qr")}
    assert stored == {URL: images.get(URL).png, **dict(zip(texts, pngs, strict=True))}
    assert images.get(texts[3]).png == pngs[3]  # the parent still reads after the fork


def test_new_codes_are_written_a_batch_at_a_time_and_on_flush(
    tmp_path: Path, encoded: list[str]
) -> None:
    images = QrImages(QrSpec("M", 25, 300), tmp_path)
    texts = [f"{URL}{n}/" for n in range(WRITE_BATCH + 3)]
    arts = [images.get(text) for text in texts]

    def stored() -> set[str]:
        with sqlite3.connect(tmp_path / DB_NAME) as conn:
            return {row[0] for row in conn.execute("SELECT text FROM qr")}

    assert stored() == set(texts[:WRITE_BATCH])  # a full batch goes in at once
    assert images.get(texts[-1]) == arts[-1]  # a waiting code is a hit already
    assert encoded == texts
    images.flush()
    assert stored() == set(texts)


_FORKED: list[QrImages] = []


def _encode_in_worker(text: str) -> bytes:
    return _FORKED[0].get(text).png


def test_prune_keeps_only_what_is_still_encoded(tmp_path: Path) -> None:
    images = QrImages(QrSpec("M", 25, 300), tmp_path)
    images.get(URL)
    images.get(URL + "old/")
    images.get(URL + "older/")
    # files of the old two-files-per-entry layout are swept away too
    old_key = "0" * 64
    (tmp_path / f"{old_key}.json").write_text("{}", encoding="utf-8")
    (tmp_path / f"{old_key}.png").write_bytes(b"png")
    assert images.prune([URL]) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(DB_NAME + "-")) == [
        DB_NAME
    ]
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert [row[0] for row in conn.execute("SELECT text FROM qr")] == [URL]
    assert images.prune([URL]) == 0
    assert QrImages(QrSpec("M", 25, 300), tmp_path / "missing").prune([URL]) == 0
