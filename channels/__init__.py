"""Built-in channel adapters (import name `syndicate_channels`).

Each subpackage is one channel: a `Channel` subclass registered under the
`syndicate.channels` entry point group in pyproject.toml.
"""
