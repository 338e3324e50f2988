"""Downloader middleware that undoes ``Content-Encoding`` the way re-extraction does.

It takes the place of Scrapy's ``HttpCompressionMiddleware`` (it still asks for compressed
responses) and decodes with :func:`archive.responses.decode_body`, the function the WARC reader
calls, within ``DOWNLOAD_MAXSIZE``. A body that cannot be decoded is not dropped: it goes on as
received, typed as plain bytes, so the spider hands it to extraction, which records why there is
no text, exactly as re-extraction of the same record does. The exchange is in the WARC either way
(``WarcArchiveMiddleware`` sits closer to the downloader).
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from archive.content_coding import ContentDecodingError
from archive.responses import content_codings, decode_body, header_pairs

logger = logging.getLogger(__name__)

# request.meta key: why the body could not be decoded (the spider turns it into the page's result).
DECODING_ERROR_META_KEY = "newsarchive_decoding_error"


class ContentDecodingMiddleware(HttpCompressionMiddleware):
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if request.method == "HEAD":
            return response
        pairs = header_pairs(response.headers)
        if not content_codings(pairs):
            return response
        limit = int(request.meta.get("download_maxsize", self._max_size))
        try:
            body = decode_body(pairs, response.body, limit)
        except ContentDecodingError as exc:
            logger.warning("cannot decode %s: %s (archived as received)", response.url, exc)
            request.meta[DECODING_ERROR_META_KEY] = str(exc)
            return Response(**{name: getattr(response, name) for name in Response.attributes})
        if self.stats:
            self.stats.inc_value("httpcompression/response_bytes", len(body))
            self.stats.inc_value("httpcompression/response_count")
        headers = response.headers.copy()
        del headers["Content-Encoding"]
        # Built from the plain Response's attributes: a TextResponse's would make Scrapy detect the
        # charset of the still compressed bytes (``replace()`` reads every attribute).
        fields = {name: getattr(response, name) for name in Response.attributes}
        fields.update(body=body, headers=headers)
        return responsetypes.from_args(headers=headers, url=response.url, body=body)(**fields)
