"""A channel whose one list page declares some article fields and shows one of them.

Its settings say which fields the page declares and which one its Jinja template shows,
so tests can make it read a field it did not declare. Each render is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.channel import Channel, Listed, OutputFile, Page, Reads
from syndicate.config import ChannelSettings
from syndicate.model import Site

INDEX = "listing/index.html"
RENDERED: list[str] = []  # pages rendered in this process, in order


class ListingSettings(ChannelSettings):
    declare: tuple[str, ...] = ("title",)  # the fields the page declares
    show: str = "title"  # the field its template shows


class ListingChannel(Channel[ListingSettings]):
    name = "listing"
    summary = "one list page of every article (test channel)"

    def render_site(self, site: Site) -> Iterable[OutputFile | Page]:
        reads = Reads(site.articles, self.settings.declare, parts=(site.info.title,))
        yield Page(reads, self.index, name=INDEX)

    def index(self, listed: tuple[Listed, ...]) -> list[OutputFile]:
        RENDERED.append(INDEX)
        show = self.settings.show
        template = self.context.templates.env.from_string(
            "<ul>{% for a in articles %}<li>{{ a." + show + " }}</li>{% endfor %}</ul>\n"
        )
        return [OutputFile.text(INDEX, template.render(articles=listed))]
