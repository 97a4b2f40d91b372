"""Gong's calls API on the client core: one call, calls in a window, detailed calls and transcripts.

Every input is checked before the first request (ids of 1-20 digits, date-times, the content selector);
ids go to Gong 100 per call; records come once each, page by page, resumable after a stop
(:class:`~airflow_provider_gong.client.paging.Resume`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_gong.client.content import MEDIA_NOTE, content_selector, requests_media
from airflow_provider_gong.client.dates import date_window
from airflow_provider_gong.client.ids import validate_id, validate_ids
from airflow_provider_gong.client.paging import (
    Progress,
    Resume,
    check_known_ids,
    expect,
    fingerprint,
    pages,
    records_by_id,
)
from airflow_provider_gong.endpoints import ENDPOINTS, PAGE_SIZE, Endpoint

if TYPE_CHECKING:
    from airflow_provider_gong.client.core import GongClient

__all__ = ["CallsFetch", "get_call"]

LIST_CALLS = ENDPOINTS["listCalls"]
GET_CALL = ENDPOINTS["getCall"]
CALLS_EXTENSIVE = ENDPOINTS["listCallsExtensive"]
TRANSCRIPTS = ENDPOINTS["getCallTranscripts"]

#: The names of the window's bounds in messages.
_WINDOW_NAMES = ("from_datetime", "to_datetime")


def get_call(client: GongClient, call_id: str | int) -> dict[str, Any]:
    """
    ``GET /v2/calls/{id}``: the ``call`` object exactly as Gong sent it.

    :param client: The client to call with.
    :param call_id: Gong's call id (1-20 digits), checked before the request.
    """
    path = GET_CALL.url_path(id=call_id)
    body = client.call(GET_CALL.method, path, scopes=GET_CALL.scopes)
    call: dict[str, Any]
    [call] = expect(body, GET_CALL.method, path, call=dict)
    return call


@dataclass(frozen=True)
class CallsFetch:
    """
    A fetch of calls or transcripts, its inputs checked (before any request); :meth:`run` makes the calls.

    Build it with :meth:`listing`, :meth:`extensive` or :meth:`transcripts` (the arguments of the hook's
    ``iter_calls``, ``iter_calls_extensive`` and ``iter_transcripts``).

    :param endpoint: The endpoint of the registry.
    :param inputs: The query parameters (GET) or the body (POST) without ids, cursor or chunked filter.
    :param call_ids: Call ids to fetch, 100 per call (``None``: no id filter).
    :param user_ids: Primary user ids, 100 per listing (``None``: no such filter).
    :param noun: What a record is, for the progress log.
    :param resume: Where to start, kept up to date as records are consumed.
    :param known_ids: Listings resumed from a kept cursor: the ids of the records stored before.
    """

    endpoint: Endpoint
    inputs: dict[str, Any]
    call_ids: list[str] | None
    user_ids: list[str] | None
    noun: str
    resume: Resume | None
    known_ids: Callable[[], Iterable[str]] | None

    @classmethod
    def listing(
        cls,
        from_datetime: datetime | str,
        to_datetime: datetime | str,
        *,
        workspace_id: str | int | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> CallsFetch:
        """
        ``GET /v2/calls``: the calls that started in ``[from_datetime, to_datetime)``.

        :param from_datetime: The inclusive start (a ``datetime``, naive = UTC, or an ISO-8601 string).
        :param to_datetime: The exclusive end.
        :param workspace_id: Only calls of this workspace.
        :param resume: Where to start (see :class:`Resume`).
        :param known_ids: Returns the ids stored before a stop (see :func:`pages`).
        :raises ValueError: naming the bad input, before any request.
        """
        start, end = date_window(from_datetime, to_datetime, names=_WINDOW_NAMES, required=True)
        params: dict[str, Any] = {"fromDateTime": start, "toDateTime": end}
        if workspace_id is not None:
            params["workspaceId"] = validate_id(workspace_id, "workspace")
        return cls._checked(LIST_CALLS, params, None, None, "call", resume, known_ids)

    @classmethod
    def extensive(
        cls,
        *,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        call_ids: Iterable[str | int] | None = None,
        primary_user_ids: Iterable[str | int] | None = None,
        workspace_id: str | int | None = None,
        content: Iterable[str] | Mapping[str, Any] | str | None = None,
        context: str | None = None,
        context_timing: Iterable[str] | str | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> CallsFetch:
        """
        ``POST /v2/calls/extensive``: detailed calls, by window, ids, primary users and workspace.

        :param from_datetime: Only calls that started at or after this time.
        :param to_datetime: Only calls that started before this time (exclusive).
        :param call_ids: Only these calls.
        :param primary_user_ids: Only calls these users hosted.
        :param workspace_id: Only calls of this workspace.
        :param content: What Gong adds to each call's ``metaData`` (see
            :func:`~airflow_provider_gong.client.content.content_selector`).
        :param context: ``"basic"`` or ``"extended"``: the call's links to external systems.
        :param context_timing: With ``context="extended"``: ``"now"`` and/or ``"timeOfCall"``.
        :param resume: Where to start.
        :param known_ids: Returns the ids stored before a stop.
        :raises ValueError: naming the bad input, before any request.
        """
        body = _window_filter(from_datetime, to_datetime, workspace_id)
        calls = None if call_ids is None else validate_ids(call_ids, "call")
        users = None if primary_user_ids is None else validate_ids(primary_user_ids, "user")
        if calls is not None and users:
            if len(users) > PAGE_SIZE:
                raise ValueError(
                    f"give call_ids or primary_user_ids, or at most {PAGE_SIZE} primary_user_ids with "
                    f"call_ids (got {len(users)}): Gong takes {PAGE_SIZE} ids per call"
                )
            body["primaryUserIds"] = users
            users = None
        selector = content_selector(content, context=context, context_timing=context_timing)
        inputs: dict[str, Any] = {"filter": body}
        if selector is not None:
            inputs["contentSelector"] = selector
        return cls._checked(CALLS_EXTENSIVE, inputs, calls, users, "call", resume, known_ids)

    @classmethod
    def transcripts(
        cls,
        *,
        from_datetime: datetime | str | None = None,
        to_datetime: datetime | str | None = None,
        call_ids: Iterable[str | int] | None = None,
        workspace_id: str | int | None = None,
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> CallsFetch:
        """
        ``POST /v2/calls/transcript``: one record per call, ``{"callId", "transcript"}``.

        :param from_datetime: Only calls that started at or after this time.
        :param to_datetime: Only calls that started before this time (exclusive).
        :param call_ids: Only these calls.
        :param workspace_id: Only calls of this workspace.
        :param resume: Where to start.
        :param known_ids: Returns the ids stored before a stop.
        :raises ValueError: naming the bad input, before any request.
        """
        body = _window_filter(from_datetime, to_datetime, workspace_id)
        calls = None if call_ids is None else validate_ids(call_ids, "call")
        return cls._checked(TRANSCRIPTS, {"filter": body}, calls, None, "transcript", resume, known_ids)

    @classmethod
    def _checked(
        cls,
        endpoint: Endpoint,
        inputs: dict[str, Any],
        call_ids: list[str] | None,
        user_ids: list[str] | None,
        noun: str,
        resume: Resume | None,
        known_ids: Callable[[], Iterable[str]] | None,
    ) -> CallsFetch:
        if resume is not None:
            resume.check(fingerprint(endpoint.operation_id, inputs, call_ids, user_ids))
        check_known_ids(resume, known_ids, noun)
        return cls(endpoint, inputs, call_ids, user_ids, noun, resume, known_ids)

    @property
    def requests_media(self) -> bool:
        """Whether the fetch asks for media URLs (they need their own scope and expire after 8 hours)."""
        return requests_media(self.inputs.get("contentSelector"))

    def run(self, client: GongClient) -> Iterator[dict[str, Any]]:
        """
        Yield the records, page by page, with as few calls as Gong allows.

        :param client: The client to call with.
        """
        resume = self.resume
        if resume is not None and resume.done:
            return
        if self.call_ids == [] or self.user_ids == []:
            return  # an empty list of ids matches nothing: no request
        if self.requests_media:
            client.log.info("Note: %s", MEDIA_NOTE)
        progress = Progress(
            client, self.noun, total=len(self.call_ids) if self.call_ids is not None else None
        )
        if self.call_ids is not None:
            not_found: list[str] = []
            yield from records_by_id(
                client,
                self.endpoint,
                self.call_ids,
                self.inputs["filter"],
                not_found=not_found,
                progress=progress,
                warn_missing=True,
                resume=resume,
                body={key: value for key, value in self.inputs.items() if key != "filter"},
            )
        elif self.user_ids is not None:
            yield from self._by_primary_users(client, self.user_ids, progress)
        else:
            for records, items in pages(
                client, self.endpoint, self.inputs, resume=resume, known_ids=self.known_ids
            ):
                progress.page(records, len(items))
                yield from items
        if resume is not None:
            resume.done = True
        progress.done()

    def _by_primary_users(
        self, client: GongClient, user_ids: list[str], progress: Progress
    ) -> Iterator[dict[str, Any]]:
        """One listing per 100 primary users, in their order; ``resume.next_index`` is the chunk's start."""
        resume = self.resume
        first = resume.next_index if resume is not None else 0
        for start in range(first, len(user_ids), PAGE_SIZE):
            if resume is not None and start != resume.next_index:
                resume.next_index, resume.cursor, resume.restarted = start, None, False
            chunk = user_ids[start : start + PAGE_SIZE]
            inputs = {**self.inputs, "filter": {**self.inputs["filter"], "primaryUserIds": chunk}}
            resumed = resume is not None and start == first
            for records, items in pages(
                client,
                self.endpoint,
                inputs,
                resume=resume,
                known_ids=self.known_ids if resumed else None,
            ):
                progress.page(records, len(items))
                yield from items
        if resume is not None:
            resume.next_index, resume.cursor = len(user_ids), None


def _window_filter(
    from_datetime: datetime | str | None, to_datetime: datetime | str | None, workspace_id: str | int | None
) -> dict[str, Any]:
    """The body's ``filter`` for an optional window and workspace."""
    start, end = date_window(from_datetime, to_datetime, names=_WINDOW_NAMES)
    body: dict[str, Any] = {}
    if start is not None:
        body["fromDateTime"] = start
    if end is not None:
        body["toDateTime"] = end
    if workspace_id is not None:
        body["workspaceId"] = validate_id(workspace_id, "workspace")
    return body
