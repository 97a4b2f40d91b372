"""Generic paging of Gong's answers: cursors followed and checked, ids chunked, records de-duplicated.

Every cursor-paged endpoint of :mod:`airflow_provider_gong.endpoints` is fetched by :func:`pages`, and
every endpoint with an id filter by :func:`records_by_id`; :class:`Resume` is where a fetch stands, so a
task stopped mid-way resumes without fetching a page again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_gong.client.idset import IdSet
from airflow_provider_gong.endpoints import PAGE_SIZE, Endpoint
from airflow_provider_gong.exceptions import (
    GongApiError,
    GongBadRequestError,
    GongNotFoundError,
    describe_keys,
)

if TYPE_CHECKING:
    from airflow_provider_gong.client.core import GongClient

__all__ = [
    "MAX_EMPTY_PAGES",
    "Progress",
    "Resume",
    "UsersResume",
    "check_known_ids",
    "expect",
    "fingerprint",
    "pages",
    "records_by_id",
]

#: Most empty pages in a row, each with a new cursor, before a listing is taken as broken.
MAX_EMPTY_PAGES = 100


@dataclass
class Resume:
    """
    Where a fetch of records stands, as a few bytes of JSON: what a task that stops mid-way (e.g. on a
    long rate limit) keeps to resume later without fetching any page again.

    Pass one to a fetch (e.g. :meth:`GongHook.iter_users`, ``resume=``): the fetch starts where it says,
    and keeps it up to date as pages are consumed. After the fetch raised, it names the first page whose
    records were not yielded: every record yielded before stays yielded, none is yielded twice when
    resuming. The fetch's inputs (ids, filters) must be the same on resume (checked with
    ``fingerprint``).

    :param cursor: Listings (all users, or a created-date filter): Gong's cursor of the next page to
        fetch; ``None`` for the first page.
    :param next_index: Fetch by ids: position, in the checked list of ids, of the first id whose chunk of
        100 is not fetched yet.
    :param missing_ids: Fetch by ids: ids Gong did not return so far (reported when the fetch ends).
    :param fingerprint: A digest of the fetch's inputs, set on first use.
    :param done: Whether the fetch completed.
    :param restarted: Listings: Gong rejected a kept cursor and the listing started again from the first
        page; until it ends, every resume skips the records stored before (``known_ids``).
    """

    cursor: str | None = None
    next_index: int = 0
    missing_ids: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    done: bool = False
    restarted: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the state as a JSON-ready dict."""
        return {
            "cursor": self.cursor,
            "next_index": self.next_index,
            "missing_ids": list(self.missing_ids),
            "fingerprint": self.fingerprint,
            "done": self.done,
            "restarted": self.restarted,
        }

    def check(self, digest: str) -> None:
        """
        Tie this state to one fetch: set its fingerprint on first use, refuse another fetch's.

        :param digest: :func:`fingerprint` of the fetch's inputs.
        :raises ValueError: when the state belongs to a fetch with other inputs.
        """
        if self.fingerprint is None:
            self.fingerprint = digest
        elif self.fingerprint != digest:
            raise ValueError(
                "resume state belongs to another fetch (different ids or filters); start a new one"
            )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resume:
        """
        Rebuild a state from :meth:`to_json`.

        :param data: The dict :meth:`to_json` returned.
        """
        cursor = data.get("cursor")
        return cls(
            cursor=None if cursor is None else str(cursor),
            next_index=int(data.get("next_index") or 0),
            missing_ids=[str(uid) for uid in data.get("missing_ids") or []],
            fingerprint=data.get("fingerprint"),
            done=bool(data.get("done")),
            restarted=bool(data.get("restarted")),
        )


def fingerprint(*inputs: Any) -> str:
    """
    A short digest of a fetch's inputs, so a resume state is never applied to another fetch.

    :param inputs: The fetch's inputs, JSON-ready (the same on every resume).
    """
    text = json.dumps(list(inputs), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Progress:
    """
    Counts pages and records, and logs ``fetched 300/10000 users (page 3)`` once per page.

    :param client: Whose log to write to.
    :param noun: What a record is (``"user"``).
    :param total: How many records are expected, when known (else Gong's ``totalRecords``).
    """

    def __init__(self, client: GongClient, noun: str, total: int | None) -> None:
        self._client = client
        self.noun = noun
        self.total = total
        self.fetched = 0
        self.pages = 0
        self._started = time.monotonic()

    def page(self, records: Mapping[str, Any], count: int) -> None:
        """
        Count one page.

        :param records: The page's ``records`` object.
        :param count: Records it brought.
        """
        self.pages += 1
        self.fetched += count
        if self.total is None and isinstance(records.get("totalRecords"), int):
            self.total = records["totalRecords"]
        total = "?" if self.total is None else str(self.total)
        self._client.log.info("fetched %d/%s %ss (page %d)", self.fetched, total, self.noun, self.pages)

    def done(self) -> None:
        """Log the total."""
        self._client.log.info(
            "fetched %d %ss in %.1f s (%d page%s)",
            self.fetched,
            self.noun,
            time.monotonic() - self._started,
            self.pages,
            "" if self.pages == 1 else "s",
        )


def expect(body: Mapping[str, Any], method: str, path: str, **kinds: type) -> list[Any]:
    """
    The values of ``body`` at each key of ``kinds``, or a ``GongApiError`` naming what the body held.

    :param body: Gong's answer.
    :param method: HTTP method, for the message.
    :param path: URL path, for the message.
    :param kinds: The keys expected and the type of each.
    """
    values = [body.get(key) for key in kinds]
    if not all(isinstance(body.get(key), kind) for key, kind in kinds.items()):
        expected = " and ".join(repr(key) for key in kinds)
        raise GongApiError(
            200,
            method,
            path,
            request_id=_str_or_none(body.get("requestId")),
            detail=f"unexpected answer shape: {describe_keys(body)} (expected {expected})",
        )
    return values


def check_known_ids(resume: Resume | None, known_ids: Callable[[], Iterable[str]] | None, noun: str) -> None:
    """
    Refuse to resume a restarted listing without ``known_ids``: its stored records could come again.

    :param resume: Where the fetch stands.
    :param known_ids: Returns the ids of the records stored before.
    :param noun: What a record is, for the message.
    :raises ValueError: when the state is a restarted listing not yet done and ``known_ids`` is missing.
    """
    if resume is not None and resume.restarted and not resume.done and known_ids is None:
        raise ValueError(f"this resume state is a restarted listing: pass known_ids to skip stored {noun}s")


def pages(
    client: GongClient,
    endpoint: Endpoint,
    inputs: Mapping[str, Any],
    *,
    resume: Resume | None = None,
    known_ids: Callable[[], Iterable[str]] | None = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """
    Yield ``(records, items)`` for each page of a cursor-paged endpoint, following Gong's cursor (a list
    answer, not paged, is one page with an empty ``records``).

    The cursor goes with the inputs: a query parameter of a GET, a top-level key of a POST's body. It is
    checked, not trusted: a cursor seen before (a cycle) raises, a run of :data:`MAX_EMPTY_PAGES` empty
    pages that keep handing out cursors raises, and a record already yielded by an earlier page is
    dropped (counted in the log). The endpoint's "nothing found" 404 ends the listing empty. A listing
    resumed from a kept cursor that Gong rejects with a 400 (cursors expire) starts again from the first
    page when ``known_ids`` tells which records are stored already: those are skipped, so every record
    comes once.

    :param client: The client to call with.
    :param endpoint: A paged endpoint of the registry.
    :param inputs: Query parameters (GET) or the body (POST), without the cursor.
    :param resume: Where to start; kept up to date (its ``cursor`` and ``restarted``).
    :param known_ids: Returns the ids of the records stored before the stop: a listing resumed from a kept
        cursor calls it once and skips them (Gong's pages may overlap the last one stored), and so does one
        that restarts after its cursor expired.
    """
    method, path, noun = endpoint.method, endpoint.path, endpoint.noun
    items_key = endpoint.records_key or "records"
    cursor: str | None = resume.cursor if resume is not None else None
    kept_cursor = cursor
    seen_cursors: set[str] = set()
    seen_ids = IdSet()
    skip, skip_loaded = IdSet(), False
    check_known_ids(resume, known_ids, noun)
    if resume is not None and (resume.restarted or cursor is not None) and known_ids is not None:
        # Resumed mid-listing: the records stored before the stop are skipped wherever they come again,
        # on a page that overlaps the last one stored, or anywhere in a listing that started again.
        skip, skip_loaded = _id_set(known_ids()), True
    duplicates = skipped = empty_run = pages_again = 0
    restarted = False
    while True:
        if resume is not None:
            # Set before the call: the previous page has been consumed once we get here.
            resume.cursor = cursor
        paged = dict(inputs, **({"cursor": cursor} if cursor else {}))
        try:
            if method == "GET":
                body = client.call(method, path, params=paged, scopes=endpoint.scopes)
            else:
                body = client.call(method, path, json=paged, scopes=endpoint.scopes)
        except GongNotFoundError as err:
            if endpoint.is_nothing_found(err):
                break
            raise
        except GongBadRequestError as err:
            if cursor is None or cursor != kept_cursor or restarted or known_ids is None:
                raise
            if not skip_loaded:
                skip, skip_loaded = _id_set(known_ids()), True
            client.log.warning(
                "Gong rejected the cursor kept from before the wait (%s, requestId %s): cursors expire; "
                "restarting the listing from the first page and skipping the %d %ss stored already",
                "; ".join(err.errors) or f"status {err.status_code}",
                err.request_id or "-",
                len(skip),
                noun,
            )
            cursor, restarted = None, True
            if resume is not None:
                resume.restarted = True
            continue
        if endpoint.paged:
            records, items = expect(body, method, path, records=dict, **{items_key: list})
        else:  # a list answer: one call, no cursor
            records, (items,) = {}, expect(body, method, path, **{items_key: list})
        fresh: list[dict[str, Any]] = []
        skipped_before, duplicates_before = skipped, duplicates
        for item in items:
            uid = endpoint.record_id(item)
            if uid is None:
                fresh.append(item)  # no id to tell it by: never taken for another record
                continue
            if not seen_ids.add(uid):
                duplicates += 1
                continue
            if uid in skip:
                skipped += 1
                continue
            fresh.append(item)
        if skipped > skipped_before:
            pages_again += 1  # this page had been fetched before the cursor expired
        yield records, fresh
        next_cursor = records.get("cursor")
        if not next_cursor:
            break
        next_cursor = str(next_cursor)
        if cursor is not None:
            seen_cursors.add(cursor)
        problem = None
        # A page that brought nothing new (empty, or only records listed before) counts towards the bound.
        empty_run = empty_run + 1 if len(items) == duplicates - duplicates_before else 0
        if next_cursor == cursor or next_cursor in seen_cursors:
            problem = (
                "Gong handed out a cursor it had given before (a paging cycle); stopping rather than "
                f"fetching the same pages again, after {len(seen_ids)} {noun}s"
            )
        elif empty_run >= MAX_EMPTY_PAGES:
            problem = (
                f"Gong answered {empty_run} empty pages in a row, each with a new cursor; stopping "
                "rather than paging on without end"
            )
        if problem is not None:
            raise GongApiError(
                200, method, path, request_id=_str_or_none(body.get("requestId")), detail=problem
            )
        cursor = next_cursor
    if duplicates:
        client.log.warning("dropped %d %s(s) Gong listed twice (overlapping pages)", duplicates, noun)
    if restarted or (resume is not None and resume.restarted):
        client.log.warning(
            "restarted listing after an expired cursor: %d page(s) fetched again, %d stored %s(s) skipped",
            pages_again,
            skipped,
            noun,
        )
    elif skipped:
        client.log.warning(
            "dropped %d %s(s) stored before the wait that Gong listed again (overlapping pages)",
            skipped,
            noun,
        )


def records_by_id(
    client: GongClient,
    endpoint: Endpoint,
    ids: Sequence[str],
    body_filter: Mapping[str, Any],
    *,
    not_found: list[str],
    progress: Progress,
    warn_missing: bool = False,
    resume: Resume | None = None,
    body: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """
    Yield the records of ``ids``, :data:`~airflow_provider_gong.endpoints.PAGE_SIZE` ids per call, in
    the ids' order, each once; ids Gong did not return are appended to ``not_found``.

    A chunk's records are yielded only once the chunk is complete (all its pages), so a failure mid-way
    resumes at that chunk and never yields a record twice.

    :param client: The client to call with.
    :param endpoint: A POST endpoint with an id filter (:attr:`Endpoint.id_filter`).
    :param ids: Checked ids, each once.
    :param body_filter: The rest of the body's ``filter``.
    :param not_found: Where the ids Gong did not return go (kept in ``resume`` too).
    :param progress: Counts pages and records.
    :param warn_missing: Log each chunk's ids Gong did not return at WARNING.
    :param resume: Where to start; kept up to date (``next_index``, ``missing_ids``).
    :param body: Other top-level keys of the body (e.g. ``contentSelector``).
    """
    noun = endpoint.noun
    id_key = endpoint.id_filter or "ids"
    not_found.extend(resume.missing_ids if resume is not None else [])
    first = resume.next_index if resume is not None else 0
    for start in range(first, len(ids), PAGE_SIZE):
        if resume is not None:
            # Set before the chunk's call: the chunk's records are yielded only once it is complete.
            resume.next_index = start
            resume.missing_ids = list(not_found)
        chunk = ids[start : start + PAGE_SIZE]
        found: dict[str, dict[str, Any]] = {}
        inputs = {**(body or {}), "filter": {**body_filter, id_key: list(chunk)}}
        for records, items in pages(client, endpoint, inputs):
            for item in items:
                found.setdefault(str(endpoint.record_id(item)), item)
            progress.page(records, len(items))
        chunk_missing = [uid for uid in chunk if uid not in found]
        if chunk_missing:
            not_found.extend(chunk_missing)
            if warn_missing:
                client.log.warning(
                    "Gong returned no %s for %d id(s), skipped: %s",
                    noun,
                    len(chunk_missing),
                    ", ".join(chunk_missing[:10]) + (" ..." if len(chunk_missing) > 10 else ""),
                )
        for uid in chunk:
            if uid in found:
                yield found[uid]
    if resume is not None:
        resume.next_index = len(ids)
        resume.missing_ids = list(not_found)


def _id_set(ids: Iterable[str]) -> IdSet:
    """The ids a restarted listing skips, kept as compactly as the ids it has seen."""
    kept = IdSet()
    for uid in ids:
        kept.add(str(uid))
    return kept


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


#: The name :class:`Resume` had when only users were fetched; kept for code written against it.
UsersResume = Resume
