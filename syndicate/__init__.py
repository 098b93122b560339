"""syndicate: write a news article once, publish it to every channel its readers use."""

__version__ = "0.1.0"
