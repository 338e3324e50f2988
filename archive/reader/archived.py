"""Which archived capture answers a URL in the archived view: the one nearest in time to the page
being viewed, resolved to a record that holds a body.

``nearest_capture`` is the one place a URL is looked up (by URL in ``captures``, through its
``(url, fetched_at)`` index); a table linking a page to its requisites can replace it there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from w3lib.url import safe_url_string

from archive import models

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Answers that stand for a body: a 200 (a response, or a revisit of an earlier one), a 304 (the
# earlier full copy: a re-validated requisite), a redirect (to follow). A 404 of a URL is not it.
_ANSWERS = (200, 304, *REDIRECTS)
_HOLDING = ("response", "resource")  # record types that hold a body
_KINDS = (*_HOLDING, "revisit")


def lookup_key(url: str) -> str:
    """*url* as the crawl recorded it: Scrapy's requests escape it so (w3lib), and captures keep it."""
    return safe_url_string(url)


def nearest_capture(session: Session, url: str, moment: dt.datetime) -> models.Capture | None:
    """The GET capture of *url* fetched nearest to *moment* (before it on a tie) that answers it
    (what a script POSTed to the URL in render mode is no copy of it)."""
    key = lookup_key(url)
    answers = select(models.Capture).where(
        models.Capture.url == key,
        models.Capture.method == "GET",
        models.Capture.status.in_(_ANSWERS),
        models.Capture.record_type.in_(_KINDS),
    )
    before = session.scalars(
        answers.where(models.Capture.fetched_at <= moment)
        .order_by(models.Capture.fetched_at.desc(), models.Capture.id.desc())
        .limit(1)
    ).first()
    after = session.scalars(
        answers.where(models.Capture.fetched_at > moment)
        .order_by(models.Capture.fetched_at, models.Capture.id)
        .limit(1)
    ).first()
    if before is None or after is None:
        return before or after
    return after if after.fetched_at - moment < moment - before.fetched_at else before


def full_copy(session: Session, capture: models.Capture) -> models.Capture | None:
    """The capture whose record holds *capture*'s body: itself (a response, a redirect), the
    original of a revisit (by payload digest, the URL's own first), or for a 304 the URL's last
    200 before it, resolved the same way; None when the archive lacks it."""
    if capture.status == 304:
        earlier = session.scalars(
            select(models.Capture)
            .where(
                models.Capture.url == capture.url,
                models.Capture.method == "GET",
                models.Capture.status == 200,
                models.Capture.record_type.in_(_KINDS),
                models.Capture.fetched_at <= capture.fetched_at,
                models.Capture.id != capture.id,
            )
            .order_by(models.Capture.fetched_at.desc(), models.Capture.id.desc())
            .limit(1)
        ).first()
        return None if earlier is None else full_copy(session, earlier)
    if capture.record_type in _HOLDING:
        return capture
    if capture.record_type != "revisit" or not capture.payload_digest:
        return None
    return session.scalars(
        select(models.Capture)
        .where(
            models.Capture.payload_digest == capture.payload_digest,
            models.Capture.record_type.in_(_HOLDING),
            models.Capture.status == 200,
        )
        .order_by((models.Capture.url != capture.url), models.Capture.fetched_at, models.Capture.id)
        .limit(1)
    ).first()
