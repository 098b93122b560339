"""Print channel: per-article QR codes, short links and snippets, plus edition sheets.

Per article it writes `print/<slug>/qr.svg`, `qr.png` (300 dpi), `snippet.txt`,
`snippet.svg`, and the short link's redirect page `s/<code>/index.html`.
`syndicate print --date` lays out a day's snippets as an A4 HTML sheet and a PDF.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import click

from syndicate.channel import Channel, ChannelContext, OutputFile, PublishReport, Reads
from syndicate.model import Article, Site
from syndicate.urls import short_link

from .links import PrintLinks, print_links
from .qrimages import QrImages, QrSpec
from .settings import PrintSettings
from .shortlinks import assign_codes
from .snippets import Snippet, make_snippet, snippet_svg, snippet_text

PRINT_DIR = "print"


def print_dir(article: Article) -> str:
    """Folder of an article's print files: print/<slug>/ (slugs are unique site-wide)."""
    return f"{PRINT_DIR}/{article.slug}/"


def _is_qr_file(path: str) -> bool:
    return path.startswith(PRINT_DIR + "/") and path.endswith(("/qr.svg", "/qr.png"))


class PrintChannel(Channel[PrintSettings]):
    name = "print"
    summary = "QR codes, short links and snippets for the print edition"
    enabled_by_default = True

    def __init__(self, settings: PrintSettings, context: ChannelContext) -> None:
        super().__init__(settings, context)
        spec = QrSpec(settings.error_correction, settings.size_mm, settings.dpi)
        # A cache, not state: losing it only costs encoding time on the next publish.
        self.images = QrImages(spec, self.context.config.cache_dir / "print-qr")
        self._codes: tuple[Site, Mapping[str, str]] | None = None

    def codes(self, site: Site) -> Mapping[str, str]:
        """slug -> short code, computed once per site (it needs every article)."""
        if self._codes is None or self._codes[0] is not site:
            self._codes = (site, assign_codes(site.articles))
        return self._codes[1]

    def links(self, article: Article, site: Site) -> PrintLinks:
        code = self.codes(site)[article.slug]
        return print_links(article, site.info, code, self.settings)

    def snippet(self, article: Article, site: Site) -> tuple[Snippet, PrintLinks]:
        links = self.links(article, site)
        art = self.images.get(links.encoded)
        return make_snippet(article, site, links, art, self.settings.dek_chars), links

    def article_reads(self, article: Article, site: Site) -> Reads:
        """The site facts a print box shows: its short code (clashes depend on other
        articles), the site title (default attribution) and zone (edition date)."""
        info = site.info
        return Reads(parts=(self.codes(site)[article.slug], info.title, str(info.timezone)))

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        settings = self.settings
        templates = self.context.templates
        snippet, links = self.snippet(article, site)
        folder = print_dir(article)
        size = f"{settings.size_mm:g}mm"
        yield OutputFile.text(folder + "qr.svg", snippet.qr.svg(size=size))
        yield OutputFile(folder + "qr.png", snippet.qr.png)
        yield OutputFile.text(folder + "snippet.txt", snippet_text(templates, snippet))
        yield OutputFile.text(
            folder + "snippet.svg", snippet_svg(templates, snippet, settings.size_mm)
        )
        yield OutputFile.text(
            short_link(links.code),
            templates.render(
                "print/redirect.html",
                title=article.title,
                language=article.language,
                canonical=article.url,
                target=links.landing_url,
            ),
        )

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        return ()

    def after_publish(self, report: PublishReport) -> None:
        """Forget cached codes that no published article encodes any more.

        Only when a QR file was written or removed: otherwise every article encodes what
        it encoded at the last publish, which pruned already (and this walk over every
        article was a third of a one-edit publish of 10,000).
        """
        if any(_is_qr_file(path) for path in (*report.written, *report.removed)):
            self.images.prune(self.links(a, report.site).encoded for a in report.site.articles)

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        from .cli import print_command

        return (print_command,)
