"""Gong's data-privacy read endpoints: ``findAllReferencesToEmailAddress`` and
``findAllReferencesToPhoneNumber``.

The references are derived from the emulator's users and calls, as seen at its clock (a call not yet
visible references nobody):

- ``calls``: the visible calls a participant with that address (or number) took part in; a call whose
  participant is a CRM contact or lead was logged to the CRM as a ``Task``.
- ``emails``: the follow-up e-mail the host sent to each external participant with an address, an hour
  after the call; a user's own follow-ups reference the user.
- ``meetings``: the calendar meetings of those calls.
- ``customerData``: the CRM contacts and leads with that address (or number).
- ``customerEngagement``: none (the emulator records no engagement events).

A user is found by their address or one of their aliases; their calls are those they joined.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import CallCatalog
from airflow_provider_gong.testing.envelope import BadRequestError, dumps
from airflow_provider_gong.testing.inputs import Request
from airflow_provider_gong.testing.resources.crm import CrmRecords, Party, crm_records, integration_id
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = ["find_all_references_to_email_address", "find_all_references_to_phone_number"]

_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@functools.lru_cache(maxsize=4)
def _user_addresses(directory: UserDirectory) -> Mapping[str, str]:
    """Every user address and alias (lower-case) -> the user's primary address (lower-case)."""
    found: dict[str, str] = {}
    for index in range(len(directory)):
        user = directory.user(index)
        primary = user["emailAddress"].lower()
        for address in (primary, *user["emailAliases"]):
            found[address.lower()] = primary
    return found


def _digits(phone: str) -> str:
    return "".join(char for char in phone if char.isdigit())


def _token(*parts: object) -> str:
    """A 32-character lower-case id, from ``parts``."""
    digest = int.from_bytes(
        hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=24).digest(), "big"
    )
    chars = []
    for _ in range(32):
        digest, position = divmod(digest, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[position])
    return "".join(chars)


def _references(request: Request, matched: Iterable[Party], addresses: Collection[str]) -> dict[str, Any]:
    """``emails``, ``calls``, ``meetings`` and ``customerData`` of the matched participants.

    :param request: The request (users, calls, clock).
    :param matched: The call participants the address or number names.
    :param addresses: The lower-case addresses of the people named (for the e-mails they sent).
    """
    catalog: CallCatalog = request.state.calls
    records: CrmRecords = crm_records(catalog)
    now = request.config.now()
    seed = request.config.seed
    calls: dict[int, set[str]] = {}
    for party in matched:
        if catalog.is_visible(party.call, now):
            calls.setdefault(party.call, set()).update(party.crm_ids)
    emails: dict[str, dict[str, Any]] = {}
    for party in records.parties:
        if not party.external or party.email is None or not catalog.is_visible(party.call, now):
            continue
        meta = catalog.basic(party.call)
        host = request.state.directory.user_by_id(meta["primaryUserId"])
        sender = None if host is None else host["emailAddress"]
        if party.email not in addresses and (sender is None or sender.lower() not in addresses):
            continue
        sent = catalog.started_epoch(party.call) + meta["duration"] + 3600
        message_id = _token(seed, "email", meta["id"], party.email)
        emails[message_id] = {
            "from": sender,
            "id": message_id,
            "sentTime": format_gong_time(sent),
            "mailbox": sender,
            "messageHash": _token(seed, "hash", message_id),
        }
    call_references = []
    meetings = []
    for index in sorted(calls):
        meta = catalog.basic(index)
        systems = []
        if calls[index]:
            task_id = "00T" + _token(seed, "task", meta["id"])[:15].upper()
            systems.append(
                {"system": "Salesforce", "objects": [{"objectType": "Task", "externalId": task_id}]}
            )
        call_references.append({"id": meta["id"], "status": "COMPLETED", "externalSystems": systems})
        if meta["calendarEventId"] is not None:
            scheduled = datetime.fromtimestamp(catalog.started_epoch(index), UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            meetings.append({"id": f"{meta['id']}.{meta['calendarEventId']}_{scheduled}"})
    return {
        "emails": sorted(emails.values(), key=lambda message: (message["sentTime"], message["id"])),
        "calls": call_references,
        "meetings": meetings,
        "customerData": _customer_data(records, seed, {crm_id for ids in calls.values() for crm_id in ids}),
    }


def _customer_data(records: CrmRecords, seed: int, crm_ids: Collection[str]) -> list[dict[str, Any]]:
    objects = []
    for crm_id in sorted(crm_ids):
        prospect = records.prospect_by_id[crm_id]
        mirror = {"integrationId": str(integration_id(seed)), "crmObjectType": prospect.kind, "crmId": crm_id}
        objects.append(
            {
                "id": str(10**18 + int(_token(seed, "customer", crm_id)[:12], 36) % (8 * 10**18)),
                "objectType": prospect.kind.title(),
                "externalId": crm_id,
                "mirrorId": json.dumps(mirror, separators=(",", ":")),
                "fields": [
                    {"name": "Name", "value": f"{prospect.first_name} {prospect.last_name}"},
                    {"name": "Title", "value": prospect.title},
                ],
            }
        )
    return [{"system": "Salesforce", "objects": objects}] if objects else []


def find_all_references_to_email_address(request: Request) -> Answer:
    """``GET /v2/data-privacy/data-for-email-address?emailAddress=``: what references the address."""
    text = request.query_value("emailAddress")
    if not text:
        raise BadRequestError("Missing required query parameter emailAddress")
    email = text.strip().lower()
    if not _EMAIL_RE.fullmatch(email):
        raise BadRequestError(f"Invalid emailAddress {text!r}: not an e-mail address")
    primary = _user_addresses(request.state.directory).get(email)
    addresses = {email} if primary is None else {email, primary}
    records = crm_records(request.state.calls)
    matched = [party for party in records.parties if party.email in addresses]
    payload = {"requestId": request.request_id, **_references(request, matched, addresses)}
    payload["customerEngagement"] = []
    return Answer(200, dumps(payload))


def find_all_references_to_phone_number(request: Request) -> Answer:
    """``GET /v2/data-privacy/data-for-phone-number?phoneNumber=``: what references the number.

    The number must start with ``+`` and the country code; every other non-digit is ignored.
    """
    text = request.query_value("phoneNumber")
    if not text:
        raise BadRequestError("Missing required query parameter phoneNumber")
    digits = _digits(text)
    if not text.strip().startswith("+") or not 7 <= len(digits) <= 15:
        raise BadRequestError(
            f"Invalid phoneNumber {text!r}: expected + and the country code, e.g. +1 425 555 2671"
        )
    records = crm_records(request.state.calls)
    matched = [
        party for party in records.parties if party.phone is not None and _digits(party.phone) == digits
    ]
    users = _phones(request.state.directory).get(digits, [])
    numbers = {party.phone for party in matched if party.phone is not None}
    numbers.update(phone for phone, _ in users)
    addresses = {party.email for party in matched if party.email is not None}
    addresses.update(email for _, email in users)
    payload = {
        "requestId": request.request_id,
        **_references(request, matched, addresses),
        "suppliedPhoneNumber": text,
        "matchingPhoneNumbers": sorted(numbers),
        "emailAddresses": sorted(addresses),
    }
    return Answer(200, dumps(payload))


@functools.lru_cache(maxsize=4)
def _phones(directory: UserDirectory) -> Mapping[str, list[tuple[str, str]]]:
    """The users' phone numbers by digits: ``(number as shown, lower-case address)`` of each user."""
    found: dict[str, list[tuple[str, str]]] = {}
    for index in range(len(directory)):
        user = directory.user(index)
        if user["phoneNumber"]:
            found.setdefault(_digits(user["phoneNumber"]), []).append(
                (user["phoneNumber"], user["emailAddress"].lower())
            )
    return found
