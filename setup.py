"""Finds the packages at build time; everything else is in pyproject.toml.

`packages.find` cannot rename folders, and `channels/` installs as `syndicate_channels`
(see pyproject.toml), so a listed package set would silently leave out every channel
added later. Here each `channels/<name>/` package is found and renamed.
"""

from setuptools import find_packages, setup


def renamed(folder: str, name: str) -> list[str]:
    """`name` and every package below `folder`, named as installed."""
    return [name, *(f"{name}.{sub}" for sub in find_packages(folder))]


setup(
    packages=[
        *find_packages(include=["syndicate", "syndicate.*"]),
        *renamed("channels", "syndicate_channels"),
        "syndicate_templates",
    ]
)
