"""Any operation of the registry, called generically: its whole answer, or its records one by one.

:func:`answer` checks the keyword inputs against the entry's declared inputs and makes one call;
:func:`records` yields the records of a paged answer (following Gong's cursor), of a list answer, or
the one record of a single-record answer, with a filter of more than 100 ids split into calls of 100.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_gong.client.inputs import MAX_BODY_IDS
from airflow_provider_gong.client.paging import Progress, Resume, check_known_ids, expect, fingerprint, pages
from airflow_provider_gong.client.paging import records_by_id as by_id
from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint
from airflow_provider_gong.exceptions import GongConfigError, GongNotFoundError

if TYPE_CHECKING:
    from airflow_provider_gong.client.core import GongClient

__all__ = ["answer", "endpoint_for", "records"]


def endpoint_for(operation_id: object) -> Endpoint:
    """
    The registry's entry for ``operation_id``, or a ``GongConfigError`` naming the closest ones.

    :param operation_id: Gong's ``operationId``, e.g. ``"listWorkspaces"``.
    """
    endpoint = ENDPOINTS.get(operation_id) if isinstance(operation_id, str) else None
    if endpoint is not None:
        return endpoint
    close = difflib.get_close_matches(str(operation_id), list(ENDPOINTS), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(name) for name in close)}?" if close else ""
    raise GongConfigError(
        f"{operation_id!r} is not one of Gong's read operations this provider calls{hint} "
        f"(Gong's operationId, e.g. 'listWorkspaces'; all: {sorted(ENDPOINTS)})"
    )


def answer(client: GongClient, endpoint: Endpoint, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """
    Gong's whole answer to one call of ``endpoint`` (the first page of a paged one).

    :param client: The client to call with.
    :param endpoint: The operation.
    :param inputs: Keyword inputs (see :meth:`Endpoint.prepare`).
    :raises ValueError: naming the input, before any call, when one is missing or malformed, or when an id
        filter holds more ids than one call takes.
    """
    prepared = endpoint.prepare(inputs)
    ids = _filter_ids(endpoint, prepared.body)
    if ids is not None and len(ids) > MAX_BODY_IDS:
        raise ValueError(
            f"{endpoint.operation_id}: filter[{endpoint.id_filter!r}] holds {len(ids)} ids; one call takes "
            f"at most {MAX_BODY_IDS}: use iter_records, which splits them"
        )
    return client.request(
        endpoint, path_params=prepared.path_params, params=prepared.params or None, json=prepared.body
    )


def records(
    client: GongClient,
    endpoint: Endpoint,
    inputs: Mapping[str, Any],
    *,
    resume: Resume | None = None,
    known_ids: Callable[[], Iterable[str]] | None = None,
) -> Iterator[dict[str, Any]]:
    """
    Yield the records of ``endpoint`` for ``inputs``, each once.

    A paged answer is followed page by page (``resume`` keeps where it stands, as for users and calls); a
    list answer yields its list; a single-record answer its record (none on its "nothing found" 404). An
    id filter of more than 100 ids is fetched 100 ids per call, in the ids' order.

    :param client: The client to call with.
    :param endpoint: An iterable operation (:attr:`Endpoint.iterable`).
    :param inputs: Keyword inputs (see :meth:`Endpoint.prepare`).
    :param resume: Where to start; kept up to date.
    :param known_ids: The ids stored before a stop (see :func:`~airflow_provider_gong.client.paging.pages`).
    :raises ValueError: naming the input, before any call.
    :raises GongConfigError: when the answer holds no records (use :func:`answer`).
    """
    if not endpoint.iterable:
        raise GongConfigError(
            f"{endpoint.operation_id} answers one object, not records: call request() for its whole answer"
        )
    prepared = endpoint.prepare(inputs)
    check_known_ids(resume, known_ids, endpoint.noun)
    if resume is not None:
        resume.check(fingerprint(endpoint.operation_id, prepared.path_params, prepared.params, prepared.body))
    return _records(client, endpoint, prepared.path_params, prepared.params, prepared.body, resume, known_ids)


def _records(
    client: GongClient,
    endpoint: Endpoint,
    path_params: Mapping[str, str],
    params: Mapping[str, Any],
    body: Any,
    resume: Resume | None,
    known_ids: Callable[[], Iterable[str]] | None,
) -> Iterator[dict[str, Any]]:
    if resume is not None and resume.done:
        return
    progress = Progress(client, endpoint.noun, None)
    ids = _filter_ids(endpoint, body)
    if endpoint.record_key is not None:
        yield from _one_record(client, endpoint, path_params, params)
    elif ids is not None and (len(ids) > MAX_BODY_IDS or not endpoint.paged):
        rest = {key: value for key, value in body.items() if key != "filter"}
        body_filter = {key: value for key, value in body["filter"].items() if key != endpoint.id_filter}
        missing: list[str] = []
        yield from by_id(
            client,
            endpoint,
            list(dict.fromkeys(ids)),
            body_filter,
            not_found=missing,
            progress=progress,
            warn_missing=True,
            resume=resume,
            body=rest,
        )
    else:
        for page, items in _pages(client, endpoint, path_params, params, body, resume, known_ids):
            progress.page(page, len(items))
            yield from items
    if resume is not None:
        resume.done = True
    progress.done()


def _pages(
    client: GongClient,
    endpoint: Endpoint,
    path_params: Mapping[str, str],
    params: Mapping[str, Any],
    body: Any,
    resume: Resume | None,
    known_ids: Callable[[], Iterable[str]] | None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """:func:`pages` of a GET (inputs in the query) or a POST (in the body), path parameters filled in."""
    if path_params:
        endpoint = dataclasses.replace(endpoint, path=endpoint.url_path(**path_params))
    inputs = params if endpoint.method == "GET" else body
    return pages(client, endpoint, inputs or {}, resume=resume, known_ids=known_ids)


def _one_record(
    client: GongClient, endpoint: Endpoint, path_params: Mapping[str, str], params: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    path = endpoint.url_path(**path_params)
    try:
        body = client.request(endpoint, path_params=path_params, params=params or None)
    except GongNotFoundError as err:
        if endpoint.is_nothing_found(err):
            return
        raise
    assert endpoint.record_key is not None
    (record,) = expect(body, endpoint.method, path, **{endpoint.record_key: dict})
    yield record


def _filter_ids(endpoint: Endpoint, body: Any) -> list[str] | None:
    if endpoint.id_filter is None or not isinstance(body, Mapping):
        return None
    body_filter = body.get("filter")
    if not isinstance(body_filter, Mapping):
        return None
    ids = body_filter.get(endpoint.id_filter)
    return None if ids is None else list(ids)
