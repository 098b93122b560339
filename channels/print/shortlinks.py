"""Short codes for /s/<code>/ links, stable for the life of an article.

The code is a hash of the article's permanent id (`article.uid`), so editing the title,
summary or date never changes a printed code. Codes use lowercase letters and digits
without look-alikes (0/o, 1/l/i), since readers may type them from paper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from syndicate.model import Article

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 7  # 31**7 ≈ 2.75e10 codes: a clash among 10,000 articles is ~0.2% likely


def candidate(uid: str, attempt: int = 0) -> str:
    """The `attempt`-th code for a uid (0 is the usual one; more only after a clash)."""
    seed = uid if attempt == 0 else f"{uid}#{attempt}"
    number = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def assign_codes(articles: Iterable[Article]) -> Mapping[str, str]:
    """slug -> short code for every article, unique across the site.

    On a clash the earliest published article (then the smaller uid) keeps the usual
    code and the others take their next candidate; as new articles are usually the
    newer ones, codes already in print keep working.
    """
    ordered = sorted(articles, key=lambda a: (a.published, a.uid, a.slug))
    first = {a.slug: candidate(a.uid or a.slug) for a in ordered}
    taken: set[str] = set()
    codes: dict[str, str] = {}
    losers: list[Article] = []
    for article in ordered:
        code = first[article.slug]
        if code in taken:
            losers.append(article)
        else:
            taken.add(code)
            codes[article.slug] = code
    for article in losers:
        attempt = 1
        while (code := candidate(article.uid or article.slug, attempt)) in taken:
            attempt += 1
        taken.add(code)
        codes[article.slug] = code
    return codes
