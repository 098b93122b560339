"""E-mail address checks and subscriber CSV reading (syntax only: no DNS, no network)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from syndicate.errors import SyndicateError


class InvalidAddress(SyndicateError):
    """An address that no mail server would accept as written."""


def normalize_address(value: str) -> str:
    """The address in canonical form (domain lowercased, IDNA) or InvalidAddress."""
    # Imported on first use: ~50 ms that a publish without mailing lists never needs.
    from email_validator import EmailNotValidError, validate_email

    text = value.strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid address {text!r}: {exc}") from None
    return checked.normalized


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class CsvProblem:
    line: int
    message: str


def read_subscriber_csv(path: Path) -> Iterator[CsvRow | CsvProblem]:
    """Rows of `email[,name]`, with an optional header naming the `email`/`name` columns.

    Each bad row yields a CsvProblem with its line number, so one typo never blocks the
    rest of an import (listmonk and Mailchimp behave the same way).
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SyndicateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle)
        email_col, name_col = 0, 1
        first = True
        try:
            for cells in reader:
                line = reader.line_num
                if not cells or not any(c.strip() for c in cells):
                    continue
                if first:
                    first = False
                    lowered = [c.strip().lower() for c in cells]
                    if "email" in lowered or "e-mail" in lowered:
                        key = "email" if "email" in lowered else "e-mail"
                        email_col = lowered.index(key)
                        name_col = lowered.index("name") if "name" in lowered else -1
                        continue
                raw = cells[email_col].strip() if email_col < len(cells) else ""
                name = " ".join(cells[name_col].split()) if 0 <= name_col < len(cells) else ""
                if not raw:
                    yield CsvProblem(line, "no e-mail address")
                    continue
                try:
                    yield CsvRow(line, normalize_address(raw), name)
                except InvalidAddress as exc:
                    yield CsvProblem(line, str(exc))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SyndicateError(f"{path}:{reader.line_num + 1}: unreadable CSV: {exc}") from None
