"""When a file's (mtime, size) can stand for its content, and its digest when it cannot.

File systems keep modification times to a clock tick: 1-10 ms on ext4, 1 s on HFS+,
2 s on FAT. A file saved again within the tick in which a publish read it, at the same
size (a corrected figure, a fixed typo), keeps its stamp, and a cache trusting the stamp
would keep the old text for good. Git calls such index entries "racily clean" and checks
their content next time; syndicate does the same for files changed just before it
looked at them.
"""

from __future__ import annotations

import hashlib
import os

RACY_NS = 3_000_000_000  # longer than the coarsest tick (FAT's 2 s) of a local file system


def vouches(mtime_ns: int, taken_ns: int) -> bool:
    """Whether a file's stamp stands for its content: it last changed well before
    `taken_ns` (time.time_ns() just before it was stat'ed), not in the same tick."""
    return mtime_ns < taken_ns - RACY_NS


def file_digest(path: str) -> str:
    """A digest of the file's bytes; one matching no other when the file cannot be read
    (the reader reports that file, and nothing may take it as unchanged)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return "unreadable:" + os.urandom(16).hex()
