"""Built-in source adapters for `syndicate ingest`: RSS 2.0, Atom 1.0, JSON Feed 1.1, ninjs.

This folder installs as the import package `syndicate_sources` and registers each
adapter under the `syndicate.sources` entry point group, exactly as a newsroom's own
adapter package would. The core never imports it.
"""
