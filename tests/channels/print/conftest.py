"""Decoding helpers for the print channel's tests: every QR is read back with zbar."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qrdecode import decode_pdf, decode_png, decode_svg

from syndicate import qr


# Fixtures hand the helpers to tests (a `conftest` import would hit tests/conftest.py).
@pytest.fixture(name="decode_png")
def _decode_png() -> Callable[[bytes], list[str]]:
    return decode_png


@pytest.fixture(name="decode_svg")
def _decode_svg() -> Callable[..., list[str]]:
    return decode_svg


@pytest.fixture(name="decode_pdf")
def _decode_pdf() -> Callable[[bytes], list[list[str]]]:
    return decode_pdf


@pytest.fixture(autouse=True)
def _print_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`syndicate.cli.main` adds channel commands at start-up; the test runner calls the
    bare group, so register `print` for the duration of each test."""
    from syndicate_channels.print.cli import print_command

    from syndicate.cli import cli

    monkeypatch.setitem(cli.commands, "print", print_command)


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the QR encoder is asked to encode, in order (a spy on `qr.qr_matrix`)."""
    calls: list[str] = []
    real = qr.qr_matrix

    def counting(
        data: str, error_correction: qr.ErrorCorrection = "M", border: int = 4
    ) -> qr.Matrix:
        calls.append(data)
        return real(data, error_correction, border)

    counting.cache_clear = real.cache_clear  # type: ignore[attr-defined]  # "a new process"
    monkeypatch.setattr(qr, "qr_matrix", counting)
    return calls
