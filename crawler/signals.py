"""Signals newsarchive components talk through."""

# Sent by WarcArchiveMiddleware once an exchange is written to WARC: (capture: archive.capture.Capture).
# The storage pipeline records every capture from it, including responses that never reach the
# spider (robots.txt, redirects, 4xx/5xx).
exchange_archived = object()

# Sent by the storage pipeline once a batch is committed: (entries: the (capture, result) pairs,
# stats: archive.store.StoreStats). The extraction health (crawler/health_records.py) tallies from it.
batch_stored = object()

# Sent by the spider once it has read what a stylesheet loads: (capture: the stylesheet's capture
# with its ``requisites``). The storage pipeline waits for it, as for a page's item, so the capture
# is written once, with its capture_requisites rows.
requisites_named = object()
