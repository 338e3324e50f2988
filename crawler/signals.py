"""Signals newsarchive components talk through."""

# Sent by WarcArchiveMiddleware once an exchange is written to WARC: (capture: archive.capture.Capture).
# The storage pipeline records every capture from it, including responses that never reach the
# spider (robots.txt, redirects, 4xx/5xx).
exchange_archived = object()

# Sent by the storage pipeline once a batch is committed: (entries: the (capture, result) pairs,
# stats: archive.store.StoreStats). The extraction health (crawler/health_records.py) tallies from it.
batch_stored = object()
