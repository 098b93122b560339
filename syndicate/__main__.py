"""`python -m syndicate` is the same as the `syndicate` command."""

from .cli import main

main()
