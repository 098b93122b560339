"""Syndication in: `syndicate ingest` turns partner and wire feeds into content files.

The core fetches (httpx), keeps state and writes articles; parsing each feed format is
an adapter's job (`syndicate.sources` entry points, built in: `sources/`). Nothing here
is imported by a publish, and importing this package costs nothing: `config.py` needs
only `settings`.
"""
