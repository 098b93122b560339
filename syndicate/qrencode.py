"""A fast QR Code encoder (ISO/IEC 18004:2015), mask 0, matching the `qrcode` package.

Why not `qrcode` itself: it builds the bit stream one bit at a time, does Reed-Solomon
with polynomial objects and re-walks the symbol for every code (~2.5 ms each), which a
10,000-article cold build pays 10,000 times. Here everything that depends only on the
version (function patterns, the zigzag of data modules, the mask over them) is built once
and cached, the bit stream is one Python int, Reed-Solomon runs one table lookup per
data byte, and the data bits reach their modules by one slice copy per column run (not
one gather per module) into a byte-per-module template, the form drawing reads
(`encode_grid`). The output is the matrix `qrcode` makes for the same text with
`mask_pattern=0` and its default segmentation (`add_data(text)`, which switches to
numeric or alphanumeric mode for runs of 20 or more such characters), so no code
already printed or cached changes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from math import isqrt
from typing import Literal

from syndicate.errors import SyndicateError

ErrorCorrection = Literal["L", "M", "Q", "H"]
Matrix = tuple[tuple[bool, ...], ...]
Cells = list[list[bool | None]]  # None = a data module, not yet placed

NUMERIC, ALPHANUMERIC, BYTE = 1, 2, 4  # mode indicators, ISO/IEC 18004 Table 2
# Character count indicator lengths for versions 1-9, 10-26, 27-40 (Table 3).
_COUNT_BITS = {NUMERIC: (10, 12, 14), ALPHANUMERIC: (9, 11, 13), BYTE: (8, 16, 16)}
_CLASS_VERSIONS = ((1, 9), (10, 26), (27, 40))

# Error correction codewords per block and number of blocks, versions 1-40 (Table 9).
# Block lengths follow: shorter blocks first, longer ones hold one more data codeword.
_BLOCKS: dict[str, tuple[tuple[int, int], ...]] = {
    "L": (
        (7, 1), (10, 1), (15, 1), (20, 1), (26, 1), (18, 2), (20, 2), (24, 2), (30, 2),
        (18, 4), (20, 4), (24, 4), (26, 4), (30, 4), (22, 6), (24, 6), (28, 6), (30, 6),
        (28, 7), (28, 8), (28, 8), (28, 9), (30, 9), (30, 10), (26, 12), (28, 12),
        (30, 12), (30, 13), (30, 14), (30, 15), (30, 16), (30, 17), (30, 18), (30, 19),
        (30, 19), (30, 20), (30, 21), (30, 22), (30, 24), (30, 25),
    ),
    "M": (
        (10, 1), (16, 1), (26, 1), (18, 2), (24, 2), (16, 4), (18, 4), (22, 4), (22, 5),
        (26, 5), (30, 5), (22, 8), (22, 9), (24, 9), (24, 10), (28, 10), (28, 11),
        (26, 13), (26, 14), (26, 16), (26, 17), (28, 17), (28, 18), (28, 20), (28, 21),
        (28, 23), (28, 25), (28, 26), (28, 28), (28, 29), (28, 31), (28, 33), (28, 35),
        (28, 37), (28, 38), (28, 40), (28, 43), (28, 45), (28, 47), (28, 49),
    ),
    "Q": (
        (13, 1), (22, 1), (18, 2), (26, 2), (18, 4), (24, 4), (18, 6), (22, 6), (20, 8),
        (24, 8), (28, 8), (26, 10), (24, 12), (20, 16), (30, 12), (24, 17), (28, 16),
        (28, 18), (26, 21), (30, 20), (28, 23), (30, 23), (30, 25), (30, 27), (30, 29),
        (28, 34), (30, 34), (30, 35), (30, 38), (30, 40), (30, 43), (30, 45), (30, 48),
        (30, 51), (30, 53), (30, 56), (30, 59), (30, 62), (30, 65), (30, 68),
    ),
    "H": (
        (17, 1), (28, 1), (22, 2), (16, 4), (22, 4), (28, 4), (26, 5), (26, 6), (24, 8),
        (28, 8), (24, 11), (28, 11), (22, 16), (24, 16), (24, 18), (30, 16), (28, 19),
        (28, 21), (26, 25), (28, 25), (30, 25), (24, 34), (30, 30), (30, 32), (30, 35),
        (30, 37), (30, 40), (30, 42), (30, 45), (30, 48), (30, 51), (30, 54), (30, 57),
        (30, 60), (30, 63), (30, 66), (30, 70), (30, 74), (30, 77), (30, 81),
    ),
}  # fmt: skip
_LEVEL_BITS = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}  # format information, Table 12
_MASK = 0  # fixed: every mask decodes, the penalty search only picks the prettiest

_ALNUM_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"  # Table 5
_ALNUM_VALUE = {char: value for value, char in enumerate(_ALNUM_CHARS)}
_ALNUM_CLASS = b"[" + re.escape(_ALNUM_CHARS) + b"]"
# qrcode's add_data(optimize=20): a text of at most 20 bytes is one segment when it is
# all digits or all alphanumeric; a longer one gets a segment per run of 20 or more.
_SHORT_SEGMENT = 20
_SHORT = (re.compile(rb"^\d+$"), re.compile(b"^" + _ALNUM_CLASS + b"+$"))
_LONG = (re.compile(rb"\d{20,}"), re.compile(_ALNUM_CLASS + b"{20,}"))

_PAD = b"\xec\x11" * 1500  # pad codewords, alternating (7.4.10)
_BITS_TO_CELLS = bytes.maketrans(b"01", b"\x00\x01")


class QrDataTooLongError(SyndicateError, ValueError):
    """The text does not fit in a version 40 symbol at this error correction level."""


Segment = tuple[int, bytes]


def encode(data: str, error_correction: ErrorCorrection = "M", border: int = 4) -> Matrix:
    """The module grid (True = dark) of `data` as UTF-8, with `border` quiet modules."""
    grid = encode_grid(data, error_correction, border)
    return grid_matrix(grid, isqrt(len(grid)))


def encode_grid(
    data: str,
    error_correction: ErrorCorrection = "M",
    border: int = 4,
    frame: tuple[bytes, bytes] = (b"", b""),
) -> bytes:
    """`encode` as one byte a module (1 = dark), row after row, each row between the
    two bytes strings of `frame`: what drawing reads, without a tuple of bools a module
    (and, framed, without cutting the rows apart to mark where each one ends)."""
    if border < 0:
        raise ValueError(f"a QR quiet zone cannot be negative (was {border})")
    raw = data.encode("utf-8")
    segments = segments_of(raw)
    version = choose_version(segments, error_correction)
    codewords = final_codewords(segments, version, error_correction)
    return _place(codewords, _placement(version, error_correction, border, frame))


# --- data analysis and encodation (ISO/IEC 18004 7.3, 7.4) ---------------------------


def segments_of(raw: bytes) -> list[Segment]:
    """Mode segments exactly as qrcode's `optimal_data_chunks(minimum=20)` cuts them."""
    numeric, alphanumeric = _SHORT if len(raw) <= _SHORT_SEGMENT else _LONG
    if numeric.search(raw) is None and alphanumeric.search(raw) is None:
        return [(BYTE, raw)] if raw else []  # the usual URL: one byte segment
    segments: list[Segment] = []
    for is_numeric, chunk in _split(raw, numeric):
        if is_numeric:
            segments.append((NUMERIC, chunk))
            continue
        for is_alnum, part in _split(chunk, alphanumeric):
            segments.append((ALPHANUMERIC if is_alnum else BYTE, part))
    return segments


def _split(raw: bytes, pattern: re.Pattern[bytes]) -> list[tuple[bool, bytes]]:
    """Matches and the text between them; slices anew like qrcode, so `^` re-anchors."""
    parts: list[tuple[bool, bytes]] = []
    while raw:
        match = pattern.search(raw)
        if match is None:
            break
        if match.start():
            parts.append((False, raw[: match.start()]))
        parts.append((True, match.group()))
        raw = raw[match.end() :]
    if raw:
        parts.append((False, raw))
    return parts


def _payload(mode: int, chunk: bytes) -> tuple[int, int]:
    """(value, bit length) of one segment's data bits (7.4.3-7.4.5)."""
    if mode == BYTE:
        return int.from_bytes(chunk, "big"), 8 * len(chunk)
    return _numeric(chunk) if mode == NUMERIC else _alphanumeric(chunk)


def _numeric(chunk: bytes) -> tuple[int, int]:
    """Three digits to 10 bits; a last group of two or one to 7 or 4 (7.4.3)."""
    value = bits = 0
    for start in range(0, len(chunk), 3):
        group = chunk[start : start + 3]
        width = (0, 4, 7, 10)[len(group)]
        value, bits = value << width | int(group), bits + width
    return value, bits


def _alphanumeric(chunk: bytes) -> tuple[int, int]:
    """Two characters to 11 bits (45 * first + second); a last single one to 6 (7.4.4)."""
    value = bits = 0
    for start in range(0, len(chunk) - 1, 2):
        pair = _ALNUM_VALUE[chunk[start]] * 45 + _ALNUM_VALUE[chunk[start + 1]]
        value, bits = value << 11 | pair, bits + 11
    if len(chunk) % 2:
        value, bits = value << 6 | _ALNUM_VALUE[chunk[-1]], bits + 6
    return value, bits


def _bit_stream(segments: list[Segment], size_class: int) -> tuple[int, int]:
    """(value, bit length) of mode indicators, counts and data of every segment."""
    value = length = 0
    for mode, chunk in segments:
        count_bits = _COUNT_BITS[mode][size_class]
        data, data_bits = _payload(mode, chunk)
        value = (((value << 4 | mode) << count_bits | len(chunk)) << data_bits) | data
        length += 4 + count_bits + data_bits
    return value, length


def choose_version(segments: list[Segment], level: ErrorCorrection) -> int:
    """The smallest version whose data capacity holds the stream, as `make(fit=True)`.

    The count indicators widen at versions 10 and 27, so each range is tried in turn.
    """
    capacities = _capacity_bits(level)
    for size_class, (first, last) in enumerate(_CLASS_VERSIONS):
        needed = _bit_stream_length(segments, size_class)
        version = bisect_left(capacities, needed, first, last + 1)
        if version <= last:
            return version
    size = sum(len(chunk) for _, chunk in segments)
    most = (capacities[40] - 4 - _COUNT_BITS[BYTE][2]) // 8
    raise QrDataTooLongError(
        f"{size} bytes of text do not fit in a QR code at error correction {level} "
        f"(at most {most} bytes of general text)"
    )


def _bit_stream_length(segments: list[Segment], size_class: int) -> int:
    total = 0
    for mode, chunk in segments:
        count = len(chunk)
        if mode == BYTE:
            data_bits = 8 * count
        elif mode == NUMERIC:
            data_bits = 10 * (count // 3) + (0, 4, 7)[count % 3]
        else:
            data_bits = 11 * (count // 2) + 6 * (count % 2)
        total += 4 + _COUNT_BITS[mode][size_class] + data_bits
    return total


def data_codewords(segments: list[Segment], version: int, level: ErrorCorrection) -> bytes:
    """Stream + terminator + zero bits to a byte boundary + pad codewords (7.4.9, 7.4.10)."""
    size_class = 0 if version < 10 else 1 if version < 27 else 2
    value, length = _bit_stream(segments, size_class)
    capacity = _capacity_bits(level)[version]
    terminator = min(4, capacity - length)
    filler = -(length + terminator) % 8
    value <<= terminator + filler
    used = (length + terminator + filler) // 8
    return value.to_bytes(used, "big") + _PAD[: capacity // 8 - used]


@cache
def _capacity_bits(level: ErrorCorrection) -> tuple[int, ...]:
    """Data bits per version (index 0 unused), Table 7."""
    return (0, *(8 * sum(_block_lengths(v, level)[0]) for v in range(1, 41)))


# --- error correction and interleaving (7.5, 7.6) -------------------------------------


def _gf_tables() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """exp/log over GF(256) with the QR field polynomial x^8+x^4+x^3+x^2+1 (7.5.2)."""
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for power in range(255, 512):
        exp[power] = exp[power - 255]
    return tuple(exp), tuple(log)


_EXP, _LOG = _gf_tables()


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients of prod (x - a^i), i < degree, highest first, leading 1 included."""
    poly = [1]
    for i in range(degree):
        root = _EXP[i]
        poly = [high ^ _gf_mul(low, root) for high, low in zip([*poly, 0], [0, *poly], strict=True)]
    return tuple(poly)


@cache
def _remainder_table(degree: int) -> tuple[int, ...]:
    """factor * g(x) without its leading term, packed big-endian, for every factor.

    With it one division step of the shift-register encoder is a shift and an xor of
    Python ints instead of `degree` field multiplications.
    """
    tail = _generator(degree)[1:]
    return tuple(
        int.from_bytes(bytes(_gf_mul(factor, c) for c in tail), "big") for factor in range(256)
    )


def error_codewords(block: bytes, degree: int) -> bytes:
    """The remainder of block(x) * x^degree divided by the generator polynomial."""
    table = _remainder_table(degree)
    top = 8 * (degree - 1)
    keep = (1 << 8 * degree) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & keep) ^ table[(remainder >> top) ^ byte]
    return remainder.to_bytes(degree, "big")


@cache
def _block_lengths(version: int, level: ErrorCorrection) -> tuple[tuple[int, ...], int]:
    """(data codewords of each block, error codewords per block)."""
    degree, blocks = _BLOCKS[level][version - 1]
    total = data_modules(version) // 8
    short, longer = divmod(total, blocks)
    shorter = blocks - longer
    lengths = (short - degree,) * shorter + (short - degree + 1,) * longer
    return lengths, degree


def data_modules(version: int) -> int:
    """Modules left for codewords once function patterns and format/version information
    are placed (Table 1), counted by formula so choosing a version builds no layout."""
    modules = (16 * version + 128) * version + 64  # minus finders, timing, format
    if version >= 2:
        count = version // 7 + 2  # alignment patterns per row
        modules -= (25 * count - 10) * count - 55
    if version >= 7:
        modules -= 36  # two version information blocks
    return modules


def final_codewords(segments: list[Segment], version: int, level: ErrorCorrection) -> bytes:
    """Data and error codewords of every block, interleaved column by column (7.6)."""
    data = data_codewords(segments, version, level)
    lengths, degree = _block_lengths(version, level)
    blocks: list[bytes] = []
    start = 0
    for length in lengths:
        blocks.append(data[start : start + length])
        start += length
    return _interleave(blocks) + _interleave([error_codewords(b, degree) for b in blocks])


def _interleave(blocks: list[bytes]) -> bytes:
    """Codeword i of every block in turn; longer blocks (always last) add a final column."""
    count = len(blocks)
    common = len(blocks[0])
    out = bytearray(count * common)
    for index, block in enumerate(blocks):
        out[index::count] = block[:common]
    out += bytes(block[common] for block in blocks if len(block) > common)
    return bytes(out)


# --- symbol layout, cached per version (6.3, 7.7-7.10) --------------------------------


# A vertical run of data modules in one column: (first row, column, length, row step
# (-1 up, +1 down), index of its first bit in placement order, stride between its bits
# (2 where both columns of the strip are free and their bits alternate, else 1)).
ColumnRun = tuple[int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class _Layout:
    """What depends only on the version, built once: the function patterns and where the
    data bits go, as column runs so placing them is a few slice copies, not a gather."""

    size: int
    modules: int  # data modules: codeword bits plus remainder bits
    capacity: int  # whole codeword bits among them
    mask: int  # mask 0 over the data modules, first module = most significant bit
    cells: tuple[tuple[bool | None, ...], ...]  # None = data; format modules light for now
    runs: tuple[ColumnRun, ...]


@cache
def _layout(version: int) -> _Layout:
    size = 17 + 4 * version
    cells: Cells = [[None] * size for _ in range(size)]
    for row, col in ((0, 0), (size - 7, 0), (0, size - 7)):
        _finder(cells, row, col)
    _alignment(cells, version)
    _timing(cells)
    _reserve_format(cells)
    if version >= 7:
        _version_info(cells, version)
    order = _zigzag(cells)
    modules = len(order)
    mask = 0
    for row, col in order:
        mask = mask << 1 | ((row + col) % 2 == 0)  # mask 0: (i + j) mod 2 = 0, Table 10
    fixed = tuple(map(tuple, cells))
    return _Layout(size, modules, modules // 8 * 8, mask, fixed, _column_runs(cells))


def _column_runs(cells: Cells) -> tuple[ColumnRun, ...]:
    """The zigzag of `_zigzag`, cut where a function pattern starts or ends in a strip."""
    size = len(cells)
    runs: list[ColumnRun] = []
    index = 0
    upward = True
    for right in range(size - 1, 0, -2):
        col = right - 1 if right <= 6 else right
        rows = range(size - 1, -1, -1) if upward else range(size)
        step = -1 if upward else 1

        def free(row: int, col: int = col) -> tuple[bool, bool]:
            return cells[row][col] is None, cells[row][col - 1] is None

        for (right_free, left_free), group in groupby(rows, key=free):
            run = list(group)
            first, count = run[0], len(run)
            columns = [c for c, is_free in ((col, right_free), (col - 1, left_free)) if is_free]
            for offset, column in enumerate(columns):
                runs.append((first, column, count, step, index + offset, len(columns)))
            index += count * len(columns)
        upward = not upward
    return tuple(runs)


def _finder(cells: Cells, row: int, col: int) -> None:
    """A 7x7 finder pattern and its light separator, clipped at the edge (6.3.3, 6.3.4)."""
    size = len(cells)
    for r in range(-1, 8):
        for c in range(-1, 8):
            if 0 <= row + r < size and 0 <= col + c < size:
                ring = (0 <= r <= 6 and c in (0, 6)) or (0 <= c <= 6 and r in (0, 6))
                cells[row + r][col + c] = ring or (2 <= r <= 4 and 2 <= c <= 4)


def alignment_centres(version: int) -> list[int]:
    """Row/column coordinates of alignment pattern centres (Annex E, Table E.1)."""
    if version == 1:
        return []
    count = version // 7 + 2
    step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    last = 10 + 4 * version
    return [6, *(last - step * i for i in reversed(range(count - 1)))]


def _alignment(cells: Cells, version: int) -> None:
    """5x5 alignment patterns, skipped where they would overlap a finder (6.3.6)."""
    centres = alignment_centres(version)
    for row in centres:
        for col in centres:
            if cells[row][col] is not None:
                continue
            for r in range(-2, 3):
                for c in range(-2, 3):
                    cells[row + r][col + c] = r in (-2, 2) or c in (-2, 2) or r == c == 0


def _timing(cells: Cells) -> None:
    """Alternating modules on row 6 and column 6 between the finders (6.3.5)."""
    for i in range(8, len(cells) - 8):
        if cells[i][6] is None:
            cells[i][6] = i % 2 == 0
        if cells[6][i] is None:
            cells[6][i] = i % 2 == 0


def _format_positions(size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where format bit i goes, both copies, in qrcode's order (7.9.1, Figure 25)."""
    down = [(i if i < 6 else i + 1 if i < 8 else size - 15 + i, 8) for i in range(15)]
    across = [(8, size - 1 - i if i < 8 else 15 - i if i < 9 else 14 - i) for i in range(15)]
    return down, across


def _reserve_format(cells: Cells) -> None:
    """Keep the format modules out of the data; their bits depend on the EC level."""
    size = len(cells)
    for positions in _format_positions(size):
        for row, col in positions:
            cells[row][col] = False
    cells[size - 8][8] = True  # the dark module


def _bch(value: int, poly: int) -> int:
    """`value` followed by its BCH remainder modulo `poly` (Annexes C and D)."""
    degree = poly.bit_length() - 1
    remainder = value << degree
    while remainder.bit_length() > degree:
        remainder ^= poly << (remainder.bit_length() - 1 - degree)
    return value << degree | remainder


def _version_info(cells: Cells, version: int) -> None:
    """The 18-bit version information blocks beside two finders (7.10)."""
    bits = _bch(version, 0x1F25)
    size = len(cells)
    for i in range(18):
        dark = bool(bits >> i & 1)
        cells[i // 3][i % 3 + size - 11] = dark
        cells[i % 3 + size - 11][i // 3] = dark


def format_bits(level: ErrorCorrection) -> int:
    """The 15 format bits for `level` and mask 0, masked with 101010000010010 (7.9)."""
    return _bch(_LEVEL_BITS[level] << 3 | _MASK, 0x537) ^ 0x5412


def _zigzag(cells: Cells) -> tuple[tuple[int, int], ...]:
    """Free modules in placement order: two-column strips from the right, alternately up
    and down, skipping the vertical timing column (7.7.3, Figure 21)."""
    size = len(cells)
    order: list[tuple[int, int]] = []
    upward = True
    for right in range(size - 1, 0, -2):
        col = right - 1 if right <= 6 else right
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            order.extend((row, c) for c in (col, col - 1) if cells[row][c] is None)
        upward = not upward
    return tuple(order)


# --- masking and drawing (7.8) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Placement:
    """The framed rows of one version, level, quiet zone and frame without their data
    (one byte a module, 1 = dark) and the slice copies that place the data bits (a byte
    each, in placement order) into them: a few C-level copies a two-column strip."""

    modules: int
    remainder: int  # remainder bits after the last codeword (light before masking)
    mask: int
    template: bytes
    copies: tuple[tuple[slice, slice], ...]  # (into the grid, out of the data bits)


@cache
def _placement(
    version: int, level: ErrorCorrection, border: int, frame: tuple[bytes, bytes]
) -> _Placement:
    layout = _layout(version)
    before, after = frame
    width = layout.size + 2 * border
    stride = len(before) + width + len(after)
    origin = len(before) + border * stride + border  # where module (0, 0) goes

    def at(row: int, col: int) -> int:
        return origin + row * stride + col

    template = bytearray((before + bytes(width) + after) * width)
    for row, cells in enumerate(layout.cells):
        template[at(row, 0) : at(row, layout.size)] = bytes(cell is True for cell in cells)
    bits = format_bits(level)
    for copy in _format_positions(layout.size):
        for i, (row, col) in enumerate(copy):
            template[at(row, col)] = bits >> i & 1
    copies = []
    for row, col, count, step, first, every in layout.runs:
        start = at(row, col)
        stop = start + count * step * stride  # below 0 only for a run ending at index 0
        into = slice(start, stop if stop >= 0 else None, step * stride)
        copies.append((into, slice(first, first + count * every, every)))
    remainder = layout.modules - layout.capacity
    return _Placement(layout.modules, remainder, layout.mask, bytes(template), tuple(copies))


def _place(codewords: bytes, placement: _Placement) -> bytes:
    """Masked data bits into the template; bits come from one int formatted base 2.

    The bits are a bytearray because a bytearray's slice assignment copies from another
    bytearray directly and from bytes only through a temporary copy (~2x the cost).
    """
    value = (int.from_bytes(codewords, "big") << placement.remainder) ^ placement.mask
    bits = bytearray(format(value, f"0{placement.modules}b"), "ascii").translate(_BITS_TO_CELLS)
    grid = bytearray(placement.template)
    for into, out_of in placement.copies:
        grid[into] = bits[out_of]
    return bytes(grid)


def grid_matrix(grid: bytes, width: int) -> Matrix:
    """The Matrix of a grid of `width`-byte rows (one byte a module, 1 = dark)."""
    cells = iter(memoryview(grid).cast("?"))
    return tuple(zip(*[cells] * width, strict=True))
