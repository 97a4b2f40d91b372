"""Gong's library endpoints: ``getLibraryStructure`` and ``getCallsInSpecificFolder``.

The public folders are :data:`~airflow_provider_gong.testing.resources.settings.LIBRARY_FOLDERS`. A share
of each workspace's calls is added to one of its folders, some days after the call is listed
(deterministic from the call id): a call not yet visible, or not yet added at the emulator's clock, is in
no folder. A folder's ``updated`` is the last time a call was added to it (or its creation).
"""

from __future__ import annotations

import functools
import hashlib
import random
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import CallCatalog
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found, record_answer
from airflow_provider_gong.testing.inputs import Request, gong_id
from airflow_provider_gong.testing.resources.settings import (
    LIBRARY_FOLDERS,
    MSG_WORKSPACE_NOT_FOUND,
    WORKSPACES,
    Folder,
    workspace_query,
)
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = ["MSG_FOLDER_NOT_FOUND", "folder_calls", "get_calls_in_specific_folder", "get_library_structure"]

MSG_FOLDER_NOT_FOUND = "Folder not found"
_DAY = 86_400
#: 2024-05-06T16:00:00Z: when the folders were made.
_FOLDERS_CREATED = 1_715_011_200
_NOTES = (None, None, "Great example of handling the budget objection", "Listen from minute 12", None)


def _folder_creator(directory: UserDirectory) -> str | None:
    return directory.ids[0] if len(directory) else None


@functools.lru_cache(maxsize=4)
def folder_calls(
    catalog: CallCatalog, directory: UserDirectory
) -> dict[str, list[tuple[int, int, str | None]]]:
    """Every call added to a folder, whenever: folder id -> ``[(call position, added at, added by)]``.

    :param catalog: The company's calls.
    :param directory: The company's users (the catalog's).
    """
    found: dict[str, list[tuple[int, int, str | None]]] = {folder.folder_id: [] for folder in LIBRARY_FOLDERS}
    for index in range(len(catalog)):
        call_id = catalog.call_id(index)
        digest = hashlib.blake2b(f"{catalog.seed}:library:{call_id}".encode(), digest_size=4).digest()
        draw = int.from_bytes(digest, "big") / 2**32
        workspace = [
            position
            for position, (known, _, _) in enumerate(WORKSPACES)
            if known == catalog.workspace_id(index)
        ]
        for folder in LIBRARY_FOLDERS:
            if folder.workspace not in workspace or not folder.share:
                continue
            if draw < folder.share:
                rng = random.Random(f"gong-emulator-library:{catalog.seed}:{call_id}")
                added = catalog.visible_at(index) + int(rng.uniform(_DAY / 4, 10 * _DAY))
                adder = rng.choice((catalog.primary_user_id(index), _folder_creator(directory)))
                found[folder.folder_id].append((index, added, adder))
                break
            draw -= folder.share
    for calls in found.values():
        calls.sort(key=lambda entry: (entry[1], entry[0]))
    return found


def _visible(request: Request, folder: Folder) -> list[tuple[int, int, str | None]]:
    now = request.config.now()
    catalog = request.state.calls
    return [
        entry
        for entry in folder_calls(catalog, request.state.directory)[folder.folder_id]
        if entry[1] <= now and catalog.is_visible(entry[0], now)
    ]


def _updated(request: Request, folder: Folder) -> str:
    added = [moment for _, moment, _ in _visible(request, folder)]
    return format_gong_time(max([_FOLDERS_CREATED, *added]))


def get_library_structure(request: Request) -> Answer:
    """``GET /v2/library/folders?workspaceId=``: the public folders (of one workspace, or all)."""
    try:
        workspace = workspace_query(request)
    except LookupError:
        return not_found(MSG_WORKSPACE_NOT_FOUND, request.request_id)
    creator = _folder_creator(request.state.directory)
    folders = [
        {
            "id": folder.folder_id,
            "name": folder.name,
            "parentFolderId": folder.parent_id,
            "createdBy": creator,
            "updated": _updated(request, folder),
        }
        for folder in LIBRARY_FOLDERS
        if workspace in (None, folder.workspace)
    ]
    return record_answer(request.request_id, "folders", dumps(folders))


def get_calls_in_specific_folder(request: Request) -> Answer:
    """``GET /v2/library/folder-content?folderId=``: the folder and its calls, in the order they were
    added.
    """
    value = request.query_value("folderId")
    if not value:
        raise BadRequestError("Missing required query parameter folderId")
    folder_id = gong_id(value, "folder id")
    folder = next((folder for folder in LIBRARY_FOLDERS if folder.folder_id == folder_id), None)
    if folder is None:
        return not_found(MSG_FOLDER_NOT_FOUND, request.request_id)
    catalog = request.state.calls
    calls: list[dict[str, Any]] = []
    for index, added, adder in _visible(request, folder):
        basic = catalog.basic(index)
        rng = random.Random(f"gong-emulator-library-snippet:{catalog.seed}:{basic['id']}")
        start = rng.randrange(max(1, basic["duration"] - 30))
        calls.append(
            {
                "id": basic["id"],
                "title": basic["title"],
                "note": rng.choice(_NOTES),
                "addedBy": adder,
                "created": format_gong_time(added),
                "url": basic["url"],
                "snippet": {"fromSec": start, "toSec": min(basic["duration"], start + rng.randint(30, 300))}
                if rng.random() < 0.5
                else None,
            }
        )
    body = {
        "requestId": request.request_id,
        "id": folder.folder_id,
        "name": folder.name,
        "createdBy": _folder_creator(request.state.directory),
        "updated": _updated(request, folder),
        "calls": calls,
    }
    return Answer(200, dumps(body))
