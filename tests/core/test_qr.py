"""The QR encoder: the same matrix as the `qrcode` package, and zbar reads it back.

`reference` is the implementation qr.qr_matrix replaced (qrcode, mask 0, its default
segmentation), so every case below checks that no code ever printed changes.
"""

from __future__ import annotations

import io
import random
import re
import string
from collections.abc import Iterator

import pytest
import qrcode
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from syndicate import qr, qrencode
from syndicate.qr import ErrorCorrection, Matrix

LEVELS: tuple[ErrorCorrection, ...] = ("L", "M", "Q", "H")
QRCODE_LEVEL = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}
WORDS = ["election", "budget", "council", "storm", "match", "vote", "東京", "新闻", "café"]


def reference(data: str, level: ErrorCorrection = "M", border: int = 4) -> Matrix:
    code = qrcode.QRCode(error_correction=QRCODE_LEVEL[level], border=border, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def random_url(rng: random.Random) -> str:
    """Article URLs as channels make them, plus the odd query, ID run or capitals."""
    host = rng.choice(["news.example.com", "www.kurier.example.at", "EXAMPLE.ORG", "x.io"])
    parts = [rng.choice(["politics", "sport", "culture/film", "2026/11/27"])]
    slug = "-".join(rng.choice(WORDS[:6]) for _ in range(rng.randint(1, 9)))
    parts.append(slug)
    if rng.random() < 0.15:
        parts.append(str(rng.getrandbits(96)))  # a run of 20+ digits: numeric segment
    if rng.random() < 0.1:
        parts.append("".join(rng.choices(string.ascii_uppercase + "-.", k=25)))
    url = f"https://{host}/{'/'.join(parts)}/"
    if rng.random() < 0.2:
        url += f"?utm_source=print&utm_medium=qr&id={rng.randint(0, 10**6)}"
    return url


def random_text(rng: random.Random, length: int) -> str:
    alphabets = [
        string.digits,
        string.ascii_uppercase + string.digits + " $%*+-./:",
        string.ascii_letters + string.punctuation + " \n",
        "新闻报道東京中文éüß€😀",
    ]
    text = ""
    while len(text) < length:
        text += "".join(rng.choices(rng.choice(alphabets), k=rng.randint(1, 40)))
    return text[:length]


def cases(count: int, seed: int) -> Iterator[tuple[str, ErrorCorrection, int]]:
    rng = random.Random(seed)
    for index in range(count):
        if index % 3:
            data = random_url(rng)
        else:
            data = random_text(rng, rng.choice([0, 1, 2, 19, 20, 21, rng.randint(0, 250)]))
        yield data, LEVELS[index % 4], rng.choice([0, 1, 4])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_matrix_equals_qrcode_for_random_urls_and_texts(seed: int) -> None:
    for data, level, border in cases(500, seed):
        assert qrencode.encode(data, level, border) == reference(data, level, border), (
            data,
            level,
            border,
        )


def byte_capacity(version: int, level: ErrorCorrection) -> int:
    """Bytes of byte-mode text that fill `version` by qrcode's own capacity table."""
    count_bits = 8 if version < 10 else 16
    limit: int = qrcode.util.BIT_LIMIT_TABLE[QRCODE_LEVEL[level]][version]
    return (limit - 4 - count_bits) // 8


@pytest.mark.parametrize("level", LEVELS)
def test_every_version_is_chosen_like_qrcode_and_drawn_identically(level: ErrorCorrection) -> None:
    for version in range(1, 41):
        full = "a" * byte_capacity(version, level)
        assert len(qrencode.encode(full, level, 0)) == 17 + 4 * version
        if version < 40:
            over = full + "a"
            assert len(qrencode.encode(over, level, 0)) == 17 + 4 * (version + 1)
        if version % 4 == LEVELS.index(level):  # ten full comparisons per level
            rng = random.Random(version)
            text = "".join(rng.choices(string.ascii_letters + string.punctuation, k=len(full)))
            assert qrencode.encode(text, level) == reference(text, level)


@pytest.mark.parametrize("level", LEVELS)
def test_too_long_raises_a_value_error_like_qrcode(level: ErrorCorrection) -> None:
    fits = "a" * byte_capacity(40, level)
    assert len(qr.qr_matrix(fits, level)) == 177 + 8
    with pytest.raises(ValueError):
        reference(fits + "a", level)
    with pytest.raises(qr.QrDataTooLongError, match=f"at error correction {level}"):
        qr.qr_matrix(fits + "a", level)


def test_counted_data_modules_match_the_built_layouts() -> None:
    """Version choice counts capacity by formula; the zigzag walk must agree with it."""
    for version in range(1, 41):
        assert qrencode._layout(version).modules == qrencode.data_modules(version)


def test_negative_border_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        qrencode.encode("x", "M", -1)


def rasterise(matrix: Matrix, scale: int = 4) -> Image.Image:
    n = len(matrix)
    pixels = bytes(0 if cell else 255 for row in matrix for cell in row)
    return Image.frombytes("L", (n, n), pixels).resize(
        (n * scale, n * scale), Image.Resampling.NEAREST
    )


def test_zbar_reads_back_exactly_the_text() -> None:
    rng = random.Random(7)
    samples = [random_url(rng) for _ in range(24)]
    samples += [
        "https://news.example.com/新闻/東京-報道/",
        "Ünïcödé café 😀",
        "12345678901234567890123",
    ]
    samples += ["HTTPS://EXAMPLE.ORG/S/ABC2345/", random_text(rng, 300), ""]
    for index, data in enumerate(samples):
        if not data:
            continue  # zbar reports nothing for an empty payload
        level = LEVELS[index % 4]
        found = decode(rasterise(qr.qr_matrix(data, level)), symbols=[ZBarSymbol.QRCODE])
        assert [symbol.data.decode("utf-8") for symbol in found] == [data], level


def test_format_and_version_bits_are_the_standard_ones() -> None:
    """ISO/IEC 18004 Table C.1 (mask 0 rows) and Table D.1 (versions 7 and 40)."""
    expected = {"L": 0b111011111000100, "M": 0b101010000010010}
    expected |= {"Q": 0b011010101011111, "H": 0b001011010001001}
    assert {level: qrencode.format_bits(level) for level in LEVELS} == expected
    assert qrencode._bch(7, 0x1F25) == 0x07C94
    assert qrencode._bch(40, 0x1F25) == 0x28C69


def test_error_codewords_make_every_generator_root_a_zero() -> None:
    """Independent of qrcode: a codeword polynomial vanishes at a^0 .. a^(degree-1)."""
    exp, log = qrencode._EXP, qrencode._LOG
    rng = random.Random(3)
    for degree in (7, 10, 13, 17, 22, 26, 30):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(1, 120)))
        word = data + qrencode.error_codewords(data, degree)
        for power in range(degree):
            value = 0
            for byte in word:  # Horner's rule at x = a^power
                value = (exp[log[value] + power] if value else 0) ^ byte
            assert value == 0, (degree, power)


def slow_runs(matrix: Matrix) -> list[qr.Run]:
    """The run finder qr.matrix_runs replaced, kept as its oracle."""
    runs: list[qr.Run] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            start = x
            while x < len(row) and row[x]:
                x += 1
            if x > start:
                runs.append((start, y, x - start))
            x += 1
    return runs


def test_runs_path_takes_any_runs() -> None:
    assert qr.runs_path([]) == ""
    assert qr.runs_path([(0, 0, 1), (3, 511, 2)]) == "M0 0h1v1h-1zM3 511h2v1h-2z"
    assert qr.runs_path([(600, 1, 700)]) == "M600 1h700v1h-700z"  # beyond the tables


def test_runs_and_png_are_unchanged_by_the_faster_drawing() -> None:
    for data, level, border in cases(40, 9):
        matrix = qr.qr_matrix(data, level, border)
        runs = slow_runs(matrix)
        assert list(qr.matrix_runs(matrix)) == runs
        assert qr.svg_path(matrix) == "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs)
        n = len(matrix)
        # Scales 1-4; leftover pixels of 0 to 10 put the code off the corner and make
        # rows end mid-byte, so margins and padding are checked too.
        size_px = n * (1 + len(data) % 4) + len(data) % 11
        png = qr.matrix_png(matrix, size_px=size_px, dpi=300)
        assert Image.open(io.BytesIO(png)).convert("L").tobytes() == on_canvas(matrix, size_px)


def on_canvas(matrix: Matrix, size_px: int) -> bytes:
    """Pillow's pixels for matrix_png: the code scaled by a whole number, centred."""
    n = len(matrix)
    scale = size_px // n
    canvas = Image.new("L", (size_px, size_px), 255)
    offset = (size_px - n * scale) // 2
    canvas.paste(rasterise(matrix, scale), (offset, offset))
    return canvas.tobytes()


def test_svg_path_of_a_code_with_a_very_wide_quiet_zone() -> None:
    """Larger than any symbol with the standard quiet zone: the general path draws it."""
    for border in (qr.QUIET_ZONE, 90):
        matrix = qr.qr_matrix("https://x.io/" + "a" * 2000, "L", border)
        runs = slow_runs(matrix)
        assert qr.svg_path(matrix) == "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs)


def follow_strokes(path: str, size: int) -> list[list[bool]]:
    """Replay stroke_path data (M0 .5, then m dx dy / h w) into a module grid."""
    grid = [[False] * size for _ in range(size)]
    assert path.startswith("M0 .5")
    x = y = 0
    for command, a, b in re.findall(r"([mh])(-?\d+)(?: (-?\d+))?", path[len("M0 .5") :]):
        if command == "m":
            x, y = x + int(a), y + int(b)
        else:
            for column in range(x, x + int(a)):
                grid[y][column] = True
            x += int(a)
    return grid


def test_stroke_path_draws_exactly_the_dark_modules() -> None:
    for data, level, border in cases(40, 11):
        matrix = qr.qr_matrix(data, level, border)
        assert follow_strokes(qr.stroke_path(matrix), len(matrix)) == [list(r) for r in matrix]


def strokes_by_runs(matrix: Matrix) -> str:
    """stroke_path written out run by run: the words it must produce, byte for byte."""
    width = len(matrix)
    rows = []
    for row in matrix:
        runs = re.findall(b"\x00+|\x01+", bytes(row))
        rows.append("".join(f"m{len(r)} 0" if r[0] == 0 else f"h{len(r)}" for r in runs))
    return "M0 .5" + f"m-{width} 1".join(rows)


def test_stroke_path_and_qr_svg_write_every_run_as_before() -> None:
    """Both the Matrix route and qr_svg's framed grid cut rows at the same places."""
    for data, level, border in cases(120, 13):
        matrix = qr.qr_matrix(data, level, border)
        expected = strokes_by_runs(matrix)
        assert qr.stroke_path(matrix) == expected, (data, level, border)
        assert qr.stroke_path(tuple(map(tuple, matrix))) == expected  # not the cached grid
        if border == qr.QUIET_ZONE:
            svg = qr.qr_svg(data, error_correction=level)
            assert f'<path d="{expected}" stroke="#000" fill="none"/>' in svg
    assert qr.stroke_path(()) == "M0 .5"


def test_qr_svg_of_codes_that_start_and_end_rows_dark() -> None:
    """Without a quiet zone rows begin and end with finder modules: every piece kind."""
    for data in ["x", "https://news.example.com/a/", "Ünïcödé 😀" * 9]:
        matrix = qr.qr_matrix(data, "H", 0)
        assert qr.stroke_path(matrix) == strokes_by_runs(matrix)
        framed = qrencode.encode_grid(data, "H", 0, qr._STROKE_FRAME)
        assert qr._strokes(framed, len(matrix)) == strokes_by_runs(matrix)


def test_grids_are_the_matrix_rows_inside_their_frame() -> None:
    for data, level, border in cases(60, 17):
        matrix = qrencode.encode(data, level, border)
        rows = [bytes(row) for row in matrix]
        assert qrencode.encode_grid(data, level, border) == b"".join(rows)
        framed = qrencode.encode_grid(data, level, border, (b"<", b">\n"))
        assert framed == b"".join(b"<" + row + b">\n" for row in rows)
        assert all(type(cell) is bool for row in matrix for cell in row)


def test_column_runs_follow_the_zigzag_exactly() -> None:
    """The slice copies place bit i where the module-by-module walk of 7.7.3 puts it."""
    for version in range(1, 41):
        layout = qrencode._layout(version)
        cells: qrencode.Cells = [list(row) for row in layout.cells]
        walked: list[tuple[int, int]] = []
        for row, col, count, step, first, every in layout.runs:
            for k in range(count):
                walked.append((first + k * every, row + k * step, col))
        order = [(row, col) for _, row, col in sorted(walked)]
        assert [index for index, _, _ in sorted(walked)] == list(range(layout.modules))
        assert order == list(qrencode._zigzag(cells)), version


def test_drawings_of_a_fresh_matrix_and_of_a_copy_agree() -> None:
    """matrix_png and svg_path reuse the bytes of the matrix qr_matrix made last; a copy
    of it, or another matrix, is drawn from its own modules."""
    size_px = 200
    qr.qr_matrix.cache_clear()
    first = qr.qr_matrix("https://news.example.com/first/", "M")
    other = qr.qr_matrix("https://news.example.com/another-one/?utm_source=print", "Q")
    assert qr._last_encoded[0] is other  # the case the shortcut serves
    copy = tuple(tuple(row) for row in other)
    assert qr.matrix_png(copy, size_px=size_px, dpi=300) == qr.matrix_png(
        other, size_px=size_px, dpi=300
    )
    assert qr.svg_path(copy) == qr.svg_path(other)
    png = qr.matrix_png(first, size_px=size_px, dpi=300)  # not the last one made
    assert Image.open(io.BytesIO(png)).convert("L").tobytes() == on_canvas(first, size_px)
    runs = slow_runs(first)
    assert qr.svg_path(first) == "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs)


@pytest.mark.parametrize("size_px", [295, 118, 1181])  # 25 mm at 300 dpi, 10 at 300, 25 at 1200
def test_png_at_print_sizes_shows_every_module_as_pillow_would(size_px: int) -> None:
    """Module scales of 2-40 pixels, odd margins, lines that end mid-byte."""
    rng = random.Random(size_px)
    for data in [random_url(rng) for _ in range(6)] + ["x", "a" * 300]:
        matrix = qr.qr_matrix(data, "M")
        png = qr.matrix_png(matrix, size_px=size_px, dpi=300)
        image = Image.open(io.BytesIO(png))
        assert image.size == (size_px, size_px) and image.mode == "1"
        assert image.convert("L").tobytes() == on_canvas(matrix, size_px), data


def test_spread_steps_move_every_unit_to_its_place() -> None:
    rng = random.Random(5)
    for units, width, gap in [(1, 3, 2), (2, 1, 1), (7, 5, 3), (33, 1, 9), (57, 285, 15)]:
        values = [rng.getrandbits(width) for _ in range(units)]
        packed = sum(value << (i * width) for i, value in enumerate(values))
        spread = qr._spread(packed, qr._spread_steps(units, width, gap))
        assert spread == sum(value << (i * (width + gap)) for i, value in enumerate(values))
