"""Signals newsarchive components talk through."""

# Sent by WarcArchiveMiddleware once an exchange is written to WARC: (capture: archive.capture.Capture).
# The storage pipeline records every capture from it, including responses that never reach the
# spider (robots.txt, redirects, 4xx/5xx).
exchange_archived = object()
