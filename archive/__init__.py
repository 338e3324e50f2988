"""newsarchive: archive news sites into WARC files and a normalized database."""

__version__ = "0.1.0"
