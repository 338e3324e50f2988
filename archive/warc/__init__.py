"""WARC I/O: the writer the crawl uses and the reader re-extraction uses."""

from archive.warc.writer import ExchangeRequest, ExchangeResponse, WarcWriter

__all__ = ["ExchangeRequest", "ExchangeResponse", "WarcWriter"]
