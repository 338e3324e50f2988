"""The names queries answer to: the fields of an export, the orders of a listing.

Apart from ``archive/query.py`` so the command line's parsers (``--order`` choices, ``--fields``) read
them without loading SQLAlchemy and the models: ``newsarchive --help`` took 0.55 s more for them.
"""

from __future__ import annotations

EXPORT_FIELDS = (
    "id",
    "url",
    "title",
    "authors",
    "published",
    "modified",
    "language",
    "site",
    "section",
    "tags",
    "description",
    "image",
    "canonical_url",
    "text",
    "version",
    "content_hash",
    "extractor",
    "extractor_version",
    "fetched_at",
    "status",
    "warc_file",
    "warc_offset",
    "warc_length",
)

ORDERS = ("published", "captured", "id")
