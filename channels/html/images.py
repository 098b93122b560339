"""Lead images at the sizes a phone and a desktop need: width/height, srcset and WebP.

An article's `image.src` is found in `static/` (`/media/a.jpg`) or beside the article's
file (`a.jpg`, copied next to its page, as Hugo's page bundles); an external URL is used
as it is, without sizes. Smaller copies (JPEG or PNG like the original, and WebP) are
made with Pillow and kept in the cache folder under the source file's digest, so an
unchanged image is never encoded twice; they reach the output as ordinary channel files,
so the writer's manifest knows them. What a file holds (digest, size) is remembered by
its path, size and mtime, so a publish reads an image's bytes only when it changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from PIL import Image, UnidentifiedImageError

from syndicate.channel import Listed, OutputFile, Page, Reads
from syndicate.model import Article

from .links import safe_external

CACHE_FOLDER = "html-images"
OUTPUT_FOLDER = "img"
_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
RACY_SECONDS = 3.0  # a file this fresh may change again within its mtime's tick


@dataclass(frozen=True, slots=True)
class Variant:
    width: int
    path: str  # site path of the copy in the original's format
    webp: str  # site path of the WebP copy


@dataclass(frozen=True, slots=True)
class Picture:
    """An image as pages show it; `src` is a site path, or an external URL when `external`."""

    src: str
    external: bool = False
    width: int | None = None
    height: int | None = None
    mime: str | None = None
    variants: tuple[Variant, ...] = ()
    token: str = ""  # the source's digest: what page keys must include

    @property
    def key(self) -> tuple[object, ...]:
        """Plain values for page keys (fingerprint marshals them; a dataclass is repr'd)."""
        return (self.src, self.external, self.width, self.height, self.token, len(self.variants))

    def srcset(self, root: str, webp: bool = False) -> str:
        """'a-320.jpg 320w, ..., a.jpg 800w' from a page whose root prefix is `root`."""
        return ", ".join(f"{root}{v.webp if webp else v.path} {v.width}w" for v in self.variants)

    def smallest_above(self, width: int, root: str) -> str:
        """The first copy at least `width` wide (for a thumbnail's plain src)."""
        if self.external:
            return self.src
        for variant in self.variants:
            if variant.width >= width:
                return root + variant.path
        return root + self.src


@dataclass(frozen=True, slots=True)
class _Facts:
    digest: str
    width: int
    height: int
    format: str


@dataclass(frozen=True, slots=True)
class _Source:
    file: Path
    site_path: str  # where the original is in the output
    copy: bool  # beside the article: the channel writes the original too


class Images:
    """Pictures of one site, with the facts of each file remembered between publishes."""

    def __init__(
        self,
        static_dir: Path,
        content_dir: Path,
        cache_dir: Path,
        widths: Sequence[int],
        quality: int,
    ) -> None:
        self.static_dir = static_dir
        self.content_dir = content_dir
        self.cache = cache_dir / CACHE_FOLDER
        self.widths = tuple(sorted(set(widths)))
        self.quality = quality
        self._index: dict[str, list[Any]] | None = None
        self._dirty = False
        self._site: object = None  # the site `_pictures` was made for
        self._pictures: dict[tuple[str, str], Picture | None] = {}

    def bind(self, site: object) -> None:
        """Remember pictures for as long as this site object is built (one publish, one
        `serve` rebuild): an article's picture is asked for by its page, every list
        showing it and the keys of all of those."""
        if site is not self._site:
            self._site, self._pictures = site, {}

    # --- finding files ---------------------------------------------------------------

    def _source(self, article: Listed, src: str) -> _Source | None:
        parts = PurePosixPath(src.lstrip("/")).parts
        if not parts or any(p in ("..", ".") for p in parts) or "\\" in src:
            return None
        if src.startswith("/"):
            site_path = "/".join(parts)
            file = self.static_dir.joinpath(*parts)
            return _Source(file, site_path, False) if file.is_file() else None
        # Relative to the article, as feeds resolve it against the article's URL.
        beside = self.content_dir.joinpath(*PurePosixPath(article.source_file).parent.parts, *parts)
        return _Source(beside, article.path + "/".join(parts), True) if beside.is_file() else None

    def picture(self, article: Listed) -> Picture | None:
        """The article's image as pages show it, or None when it has none (or an unsafe one)."""
        image = article.image
        if image is None:
            return None
        key = (article.source_file, image.src)
        try:
            return self._pictures[key]
        except KeyError:
            found = self._pictures[key] = self._make(article, image.src)
            return found

    def has_picture(self, article: Listed) -> bool:
        """Whether the article has an image to show: found on disk, or external."""
        picture = self.picture(article) if article.image else None
        return picture is not None and (picture.external or picture.width is not None)

    def key(self, article: Listed) -> tuple[object, ...] | None:
        """What pages showing the article's image must be keyed on."""
        if article.image is None:
            return None
        picture = self.picture(article)
        return picture.key if picture is not None else None

    def _make(self, article: Listed, src: str) -> Picture | None:
        if "://" in src or src.startswith("//") or ":" in src.partition("/")[0]:
            safe = safe_external(src)
            return Picture(safe, external=True) if safe else None
        source = self._source(article, src)
        if source is None:  # missing or unsafe: linked as written, so a reader sees the gap
            parts = PurePosixPath(src.lstrip("/")).parts
            if not parts or ".." in parts or "\\" in src:
                return None
            return Picture(
                "/".join(parts) if src.startswith("/") else article.path + "/".join(parts)
            )
        facts = self._facts(source.file)
        if facts is None:
            return Picture(source.site_path)
        ext, mime = _FORMATS.get(facts.format, (None, None))
        variants: tuple[Variant, ...] = ()
        if ext is not None:  # other formats (GIF, WebP...) are shown as they are
            stem = PurePosixPath(source.site_path).stem
            folder = f"{OUTPUT_FOLDER}/{facts.digest[:16]}/{stem}"
            variants = tuple(
                Variant(w, f"{folder}-{w}.{ext}", f"{folder}-{w}.webp")
                for w in self.widths
                if w < facts.width
            )
            # The original itself is the widest candidate; WebP gets a full-size copy.
            full = Variant(facts.width, source.site_path, f"{folder}-{facts.width}.webp")
            variants += (full,)
        return Picture(
            source.site_path,
            width=facts.width,
            height=facts.height,
            mime=mime,
            variants=variants,
            token=facts.digest,
        )

    # --- what a file holds -----------------------------------------------------------

    def _load_index(self) -> dict[str, list[Any]]:
        if self._index is None:
            try:
                data = json.loads((self.cache / "index.json").read_text(encoding="utf-8"))
                self._index = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._index = {}
        return self._index

    def _facts(self, file: Path) -> _Facts | None:
        try:
            stat = file.stat()
        except OSError:
            return None
        index = self._load_index()
        key = str(file)
        known = index.get(key)
        if isinstance(known, list) and known[:2] == [stat.st_mtime_ns, stat.st_size]:
            return _Facts(*known[2:6])
        try:
            data = file.read_bytes()
            with Image.open(io.BytesIO(data)) as im:
                width, height, fmt = im.width, im.height, str(im.format)
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        facts = _Facts(digest, width, height, fmt)
        if time.time() - stat.st_mtime > RACY_SECONDS:  # else it may change within the tick
            index[key] = [stat.st_mtime_ns, stat.st_size, digest, width, height, fmt]
            self._dirty = True
        return facts

    def save(self) -> None:
        """Remember the facts of the files seen (atomically; a lost cache only costs reads)."""
        if not self._dirty or self._index is None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        temp = self.cache / f"index.json.{os.getpid()}"
        temp.write_text(json.dumps(self._index, sort_keys=True), encoding="utf-8")
        temp.replace(self.cache / "index.json")
        self._dirty = False

    # --- output ----------------------------------------------------------------------

    def outputs(self, articles: Iterable[Article]) -> Iterable[Page]:
        """One page per distinct image: its smaller copies (and the original, when it
        lives beside the article), reading the source's digest and the sizes wanted."""
        seen: set[tuple[str, str | None]] = set()
        for article in articles:
            picture = self.picture(article)
            if picture is None or picture.external or not picture.token:
                continue
            image = article.image
            assert image is not None
            source = self._source(article, image.src)
            assert source is not None
            copy = source.site_path if source.copy else None
            if (picture.token, copy) in seen:
                continue
            seen.add((picture.token, copy))
            widths = tuple(v.width for v in picture.variants)
            reads = Reads(parts=("image", picture.key, copy, widths, self.quality))
            yield Page(reads, _bind(self, source.file, picture, copy), name=source.site_path)

    def render(self, file: Path, picture: Picture, copy: str | None) -> list[OutputFile]:
        data = file.read_bytes()
        files = [OutputFile(copy, data)] if copy else []
        for variant in picture.variants:
            if variant.path != picture.src:  # the original is in the output already
                files.append(OutputFile(variant.path, self._encoded(data, picture, variant, False)))
            files.append(OutputFile(variant.webp, self._encoded(data, picture, variant, True)))
        return files

    def _encoded(self, data: bytes, picture: Picture, variant: Variant, webp: bool) -> bytes:
        """A copy `variant.width` wide, from the cache when this source was encoded before."""
        ext = "webp" if webp else PurePosixPath(variant.path).suffix.lstrip(".")
        cached = self.cache / f"{picture.token}-{variant.width}-q{self.quality}.{ext}"
        try:
            return cached.read_bytes()
        except OSError:
            pass
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            height = max(1, round(im.height * variant.width / im.width))
            size = (variant.width, height)
            out = im if size == im.size else im.resize(size, Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            if webp:
                out.save(buffer, "WEBP", quality=self.quality, method=4)
            elif ext == "png":
                out.save(buffer, "PNG", optimize=True)
            else:
                out = out.convert("RGB")
                out.save(buffer, "JPEG", quality=self.quality, optimize=True, progressive=True)
        encoded = buffer.getvalue()
        self.cache.mkdir(parents=True, exist_ok=True)
        temp = cached.with_name(cached.name + f".{os.getpid()}")
        temp.write_bytes(encoded)
        temp.replace(cached)
        return encoded


def _bind(images: Images, file: Path, picture: Picture, copy: str | None) -> Any:
    return lambda _: images.render(file, picture, copy)
