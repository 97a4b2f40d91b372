"""Gong's users API on the client core: one user, a user's settings history, and every way to list users."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_gong.client.dates import date_window
from airflow_provider_gong.client.ids import validate_user_ids
from airflow_provider_gong.client.paging import (
    Progress,
    Resume,
    check_known_ids,
    expect,
    fingerprint,
    pages,
    records_by_id,
)
from airflow_provider_gong.endpoints import ENDPOINTS, Endpoint
from airflow_provider_gong.exceptions import GongNotFoundError

if TYPE_CHECKING:
    from airflow_provider_gong.client.core import GongClient

__all__ = ["UsersFetch", "get_user", "get_user_settings_history"]

GET_USER = ENDPOINTS["getUser"]
USER_HISTORY = ENDPOINTS["getUserHistory"]
LIST_USERS = ENDPOINTS["listUsers"]
USERS_EXTENSIVE = ENDPOINTS["listMultipleUsers"]


def get_user(client: GongClient, user_id: str | int) -> dict[str, Any]:
    """
    ``GET /v2/users/{id}``: the ``user`` object exactly as Gong sent it.

    :param client: The client to call with.
    :param user_id: Gong's user id (1-20 digits).
    """
    user: dict[str, Any] = _one_user(client, GET_USER, user_id, "user", dict)
    return user


def get_user_settings_history(client: GongClient, user_id: str | int) -> list[dict[str, Any]]:
    """
    ``GET /v2/users/{id}/settings-history``: the ``userSettingsHistory`` list.

    :param client: The client to call with.
    :param user_id: Gong's user id (1-20 digits).
    """
    history: list[dict[str, Any]] = _one_user(client, USER_HISTORY, user_id, "userSettingsHistory", list)
    return history


def _one_user(client: GongClient, endpoint: Endpoint, user_id: str | int, key: str, kind: type) -> Any:
    """The value at ``key`` of one user's answer, checked to be a ``kind``; the id checked before the call."""
    path = endpoint.url_path(id=user_id)  # the id checked (1-20 digits) before any request
    body = client.call(endpoint.method, path, scopes=endpoint.scopes)
    [value] = expect(body, endpoint.method, path, **{key: kind})
    return value


@dataclass(frozen=True)
class UsersFetch:
    """
    A fetch of users, its inputs checked (before any lookup or request); :meth:`run` makes the calls.

    Build it with :meth:`check` (the arguments of :meth:`GongHook.iter_users
    <airflow_provider_gong.hooks.gong.GongHook.iter_users>`).
    """

    ids: list[str] | None
    date_filter: dict[str, Any]
    include_avatars: bool
    missing: Literal["raise", "skip"]
    resume: Resume | None
    known_ids: Callable[[], Iterable[str]] | None

    @classmethod
    def check(
        cls,
        user_ids: Iterable[str | int] | None = None,
        *,
        created_from: datetime | str | None = None,
        created_to: datetime | str | None = None,
        include_avatars: bool = False,
        missing: Literal["raise", "skip"] = "raise",
        resume: Resume | None = None,
        known_ids: Callable[[], Iterable[str]] | None = None,
    ) -> UsersFetch:
        """
        Check a fetch's inputs; raise ``ValueError`` naming the first problem.

        :param user_ids: Ids to fetch, or ``None`` for all users.
        :param created_from: Only users created at or after this time.
        :param created_to: Only users created before this time (exclusive).
        :param include_avatars: Include Gong's synthetic avatar users.
        :param missing: ``"raise"`` or ``"skip"`` ids Gong did not return.
        :param resume: Where to start, kept up to date while the users are consumed.
        :param known_ids: Listings resumed from a kept cursor: the ids of the users stored before.
        """
        if missing not in ("raise", "skip"):
            raise ValueError(f"missing must be 'raise' or 'skip', got {missing!r}")
        if not isinstance(include_avatars, bool):
            raise ValueError(f"include_avatars must be True or False, got {include_avatars!r}")
        ids = None if user_ids is None else validate_user_ids(user_ids)
        start, end = date_window(created_from, created_to)
        date_filter: dict[str, Any] = {}
        if start is not None:
            date_filter["createdFromDateTime"] = start
        if end is not None:
            date_filter["createdToDateTime"] = end
        if resume is not None:
            resume.check(fingerprint(ids, date_filter, include_avatars))
        check_known_ids(resume, known_ids, LIST_USERS.noun)
        return cls(ids, date_filter, include_avatars, missing, resume, known_ids)

    def run(self, client: GongClient) -> Iterator[dict[str, Any]]:
        """
        Yield the users, page by page, with as few calls as Gong allows.

        :param client: The client to call with.
        """
        ids, date_filter, include_avatars, resume = (
            self.ids,
            self.date_filter,
            self.include_avatars,
            self.resume,
        )
        if resume is not None and resume.done:
            return
        progress = Progress(client, "user", total=len(ids) if ids is not None else None)
        if ids is None:
            if date_filter:
                listing = pages(
                    client,
                    USERS_EXTENSIVE,
                    {"filter": {**date_filter, "includeAvatars": include_avatars}},
                    resume=resume,
                    known_ids=self.known_ids,
                )
            else:
                listing = pages(
                    client,
                    LIST_USERS,
                    {"includeAvatars": "true" if include_avatars else "false"},
                    resume=resume,
                    known_ids=self.known_ids,
                )
            for records, users in listing:
                progress.page(records, len(users))
                yield from users
        else:
            not_found: list[str] = []
            yield from records_by_id(
                client,
                USERS_EXTENSIVE,
                ids,
                {**date_filter, "includeAvatars": include_avatars},
                not_found=not_found,
                progress=progress,
                warn_missing=self.missing == "skip",
                resume=resume,
            )
            if not_found and self.missing == "raise":
                shown = ", ".join(not_found[:10]) + (" ..." if len(not_found) > 10 else "")
                raise GongNotFoundError(
                    404,
                    USERS_EXTENSIVE.method,
                    USERS_EXTENSIVE.path,
                    errors=[f"{len(not_found)} of {len(ids)} requested users not found: {shown}"],
                    hint=_missing_hint(date_filter, include_avatars),
                    missing_ids=not_found,
                )
        if resume is not None:
            resume.done = True
        progress.done()


def _missing_hint(date_filter: dict[str, Any], include_avatars: bool) -> str:
    """Why Gong may not return an id that exists, and what to do about it."""
    reasons = ["the id is unknown to Gong"]
    if date_filter:
        reasons.append("the user was created outside created_from/created_to")
    if not include_avatars:
        reasons.append("the user is an avatar (pass include_avatars=True)")
    return f"Gong returns no user when {' or '.join(reasons)}. Pass missing='skip' to skip such ids"
