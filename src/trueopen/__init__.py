"""trueopen: audit an AI release from its files."""

__version__ = "0.1.0"
