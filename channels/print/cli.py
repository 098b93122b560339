"""`syndicate print --date YYYY-MM-DD [--section S]`: the edition sheet for proofing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from syndicate.commands import State, pass_state, say, user_errors
from syndicate.config import Config
from syndicate.errors import ContentError
from syndicate.pipeline import load_site, make_channels

from . import PrintChannel
from .edition import Edition, edition_articles, edition_html, paginate

EDITIONS_DIR = "editions"


def print_channel(config: Config) -> PrintChannel:
    """The channel as publish configures it: same settings, templates and QR cache."""
    (channel,) = make_channels(config, ["print"], config.output_dir)
    assert isinstance(channel, PrintChannel)
    return channel


def build_edition(channel: PrintChannel, day: date, section: str | None) -> Edition:
    built = load_site(channel.context.config)
    if built.errors:  # warnings (a related story taken down) do not stop an edition
        raise ContentError(built.errors)
    site = built.site
    section = section.strip("/") if section else None
    articles = edition_articles(site, day, section)
    snippets = [channel.snippet(article, site)[0] for article in articles]
    settings = channel.settings
    return Edition(
        site_title=site.info.title,
        day=day,
        section=section,
        section_title=site.sections[section].title if section else None,
        pages=paginate(snippets, settings.per_page),
        qr_size_mm=settings.size_mm,
        per_page=settings.per_page,
    )


def write_edition(channel: PrintChannel, edition: Edition, out: Path) -> tuple[Path, Path]:
    """Write <out>/<date>[-<section>].html and .pdf; returns both paths."""
    # reportlab loads in ~0.1 s: not on every CLI start
    from .fonts import load_fonts
    from .pdf import edition_pdf

    fonts = load_fonts(channel.settings.fonts)  # before writing: a missing font fails

    stem = edition.day.isoformat()
    if edition.section:
        stem += "-" + edition.section.replace("/", "-")
    out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    html_path.write_text(edition_html(channel.context.templates, edition), encoding="utf-8")
    pdf_path.write_bytes(edition_pdf(edition, fonts))
    return html_path, pdf_path


@click.command(name="print")
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Edition date, YYYY-MM-DD (articles published that day, site time zone).",
)
@click.option("--section", help="Only this section (and its subsections), e.g. finance.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Folder for the sheet (default: {EDITIONS_DIR}/ beside syndicate.yaml).",
)
@pass_state
def print_command(state: State, day: datetime, section: str | None, out: Path | None) -> None:
    """Lay out one day's print snippets on A4 pages (HTML with @page CSS, and PDF)."""
    with user_errors(state):
        channel = print_channel(state.config)
        edition = build_edition(channel, day.date(), section)
        target = out or state.config.root / EDITIONS_DIR
        html_path, pdf_path = write_edition(channel, edition, target)
    if not state.quiet:
        say(
            f"edition {edition.day.isoformat()}: {_count(edition.count, 'snippet')} on "
            f"{_count(len(edition.pages), 'page')}: {html_path} and {pdf_path}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
