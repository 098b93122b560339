"""syndicate: write a news article once, publish it to every channel its readers use."""

__version__ = "0.1.0"

CONFIG_NAME = "syndicate.yaml"  # looked for in the current folder, as hugo.toml is
