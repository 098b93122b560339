"""Finds the packages at build time; everything else is in pyproject.toml.

`packages.find` cannot rename folders, and `channels/` installs as `syndicate_channels`
(`sources/` as `syndicate_sources`)
(see pyproject.toml), so a listed package set would silently leave out every channel
added later. Here each `channels/<name>/` package is found and renamed. Folders of data
files (templates, message catalogues) are listed as namespace packages, as setuptools
asks, so it does not warn that it might leave them out.
"""

from setuptools import find_namespace_packages, setup

SKIP = ["__pycache__", "*.__pycache__"]


def renamed(folder: str, name: str) -> list[str]:
    """`name` and every folder below `folder`, named as installed."""
    found = find_namespace_packages(folder, exclude=SKIP)
    return [name, *(f"{name}.{sub}" for sub in found)]


setup(
    packages=[
        *find_namespace_packages(include=["syndicate", "syndicate.*"], exclude=SKIP),
        *renamed("channels", "syndicate_channels"),
        *renamed("sources", "syndicate_sources"),
        *renamed("templates", "syndicate_templates"),
    ]
)
