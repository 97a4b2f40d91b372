"""Gong's CRM endpoints: ``listGenericCrmIntegration``, ``listCrmSchemaFields``, ``getCrmObjects``,
``getRequestStatus``; and the company's CRM records, which the Engage and data-privacy endpoints share.

The CRM is derived from the calls of the emulator's
:class:`~airflow_provider_gong.testing.calls.CallCatalog`: every account and opportunity linked to a call,
and every external participant linked to a contact or a lead, is one CRM object (a ``DEAL`` for an
opportunity). The company has one generic CRM integration (Gong allows one at a time) that serves them.
The records are built once per catalog (cached), so answers are the same bytes for the same inputs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import _INDUSTRIES, _STAGES, CallCatalog, ContentSelector
from airflow_provider_gong.testing.envelope import BadRequestError, dumps
from airflow_provider_gong.testing.inputs import Request
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = [
    "CRM_HOST",
    "CRM_OBJECT_TYPES",
    "MAX_CRM_OBJECTS",
    "SCHEMA_FIELDS",
    "CrmRecords",
    "Party",
    "Prospect",
    "crm_records",
    "crm_url",
    "get_crm_objects",
    "get_request_status",
    "integration_id",
    "list_crm_schema_fields",
    "list_generic_crm_integration",
]

#: The ``objectType`` values of the generic CRM endpoints.
CRM_OBJECT_TYPES = ("ACCOUNT", "CONTACT", "DEAL", "LEAD")
#: Most objects ``getCrmObjects`` returns (Gong: "only the first 100 are returned").
MAX_CRM_OBJECTS = 100
#: Where the (fake) CRM's record pages live.
CRM_HOST = "https://emulated-company.my.salesforce.example.com"
#: The fields of each object type: ``(uniqueName, label, type, referenceTo)``.
SCHEMA_FIELDS: Mapping[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "ACCOUNT": (
        ("name", "Account Name", "STRING", None),
        ("website", "Website", "URL", None),
        ("industry", "Industry", "PICKLIST", None),
    ),
    "CONTACT": (
        ("firstName", "First Name", "STRING", None),
        ("lastName", "Last Name", "STRING", None),
        ("title", "Title", "STRING", None),
        ("emailAddress", "Email", "EMAILADDRESS", None),
        ("phoneNumber", "Phone", "PHONENUMBER", None),
        ("accountId", "Account", "REFERENCE", "ACCOUNT"),
    ),
    "DEAL": (
        ("name", "Opportunity Name", "STRING", None),
        ("stage", "Stage", "PICKLIST", None),
        ("amount", "Amount", "CURRENCY", None),
        ("closeDate", "Close Date", "DATE", None),
        ("accountId", "Account", "REFERENCE", "ACCOUNT"),
    ),
    "LEAD": (
        ("firstName", "First Name", "STRING", None),
        ("lastName", "Last Name", "STRING", None),
        ("title", "Title", "STRING", None),
        ("emailAddress", "Email", "EMAILADDRESS", None),
        ("phoneNumber", "Phone", "PHONENUMBER", None),
        ("company", "Company", "STRING", None),
    ),
}
#: The schema was last changed then (UTC epoch seconds: 2024-03-04T09:30:00Z).
_SCHEMA_MODIFIED = 1_709_544_600
_PICKLISTS = {("ACCOUNT", "industry"): _INDUSTRIES, ("DEAL", "stage"): _STAGES}
_LINKS_SELECTOR = ContentSelector(context="Extended", parties=True)
_REQUEST_STATUSES = ("PENDING", "IN_PROGRESS", "DONE", "DONE", "DONE", "FAILED")
_LINE_ERRORS = (
    "Mandatory field [objectId] is missing or empty",
    "Field [modifiedDate] is not a valid ISO-8601 date-time",
    "Unknown field [accountOwner] for object type ACCOUNT",
)


@dataclasses.dataclass(frozen=True)
class Prospect:
    """An external call participant that is a CRM contact or lead.

    :param crm_id: Its CRM id (``003...`` for a contact, ``00Q...`` for a lead).
    :param kind: ``"CONTACT"`` or ``"LEAD"``.
    :param first_name: First name.
    :param last_name: Last name.
    :param title: Job title, or ``None``.
    :param email: E-mail address, or ``None``.
    :param phone: Phone number as the call shows it, or ``None``.
    :param account_id: CRM id of the call's account, or ``None``.
    :param company: The account's name, or ``None``.
    :param call: Position of the call it took part in (catalog order).
    :param ordinal: Its position among all prospects.
    """

    crm_id: str
    kind: str
    first_name: str
    last_name: str
    title: str | None
    email: str | None
    phone: str | None
    account_id: str | None
    company: str | None
    call: int
    ordinal: int


@dataclasses.dataclass(frozen=True)
class Party:
    """One call participant, for the data-privacy look-ups.

    :param call: Position of the call (catalog order).
    :param email: Lower-case e-mail address, or ``None``.
    :param phone: Phone number as shown, or ``None``.
    :param crm_ids: CRM ids of the contact / lead it is linked to.
    :param external: Whether it is an external participant (not of the company).
    """

    call: int
    email: str | None
    phone: str | None
    crm_ids: tuple[str, ...]
    external: bool


class CrmRecords:
    """The CRM objects of one company, derived from its calls (see the module's docstring).

    :param catalog: The company's calls.
    """

    def __init__(self, catalog: CallCatalog) -> None:
        self.catalog = catalog
        self.objects: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in CRM_OBJECT_TYPES}
        self.prospects: list[Prospect] = []
        self.parties: list[Party] = []
        self.deals_of_call: dict[int, tuple[str | None, str | None]] = {}
        for index in range(len(catalog)):
            self._add_call(index)
        self.prospect_by_id = {prospect.crm_id: prospect for prospect in self.prospects}

    def _add_call(self, index: int) -> None:
        call = self.catalog.extensive(index, _LINKS_SELECTOR, 0.0)
        account_id: str | None = None
        deal_id: str | None = None
        company: str | None = None
        for system in call.get("context", []):
            for link in system["objects"]:
                fields = {field["name"]: field["value"] for field in link["fields"]}
                if link["objectType"] == "Account":
                    account_id, company = link["objectId"], fields["Name"]
                    self.objects["ACCOUNT"][account_id] = {
                        "objectId": account_id,
                        "name": fields["Name"],
                        "website": fields["Website"],
                        "industry": fields["Industry"],
                    }
                elif link["objectType"] == "Opportunity":
                    deal_id = link["objectId"]
                    self.objects["DEAL"][deal_id] = {
                        "objectId": deal_id,
                        "name": fields["Name"],
                        "stage": fields["StageName"],
                        "amount": fields["Amount"],
                        "closeDate": fields["CloseDate"],
                        "accountId": None,
                    }
        if deal_id is not None:
            self.objects["DEAL"][deal_id]["accountId"] = account_id
        self.deals_of_call[index] = (account_id, deal_id)
        for party in call["parties"]:
            crm_ids: list[str] = []
            for system in party["context"]:
                for link in system["objects"]:
                    if party["affiliation"] != "External" or link["objectType"] not in ("Contact", "Lead"):
                        continue
                    crm_ids.append(link["objectId"])
                    self._add_prospect(
                        index, party, link["objectId"], link["objectType"].upper(), account_id, company
                    )
            email = party["emailAddress"].lower() if party["emailAddress"] else None
            external = party["affiliation"] == "External"
            self.parties.append(Party(index, email, party["phoneNumber"], tuple(crm_ids), external))

    def _add_prospect(
        self,
        index: int,
        party: Mapping[str, Any],
        crm_id: str,
        kind: str,
        account_id: str | None,
        company: str | None,
    ) -> None:
        first, _, last = party["name"].partition(" ")
        prospect = Prospect(
            crm_id=crm_id,
            kind=kind,
            first_name=first,
            last_name=last,
            title=party["title"],
            email=party["emailAddress"],
            phone=party["phoneNumber"],
            account_id=account_id,
            company=company,
            call=index,
            ordinal=len(self.prospects),
        )
        self.prospects.append(prospect)
        record: dict[str, Any] = {
            "objectId": crm_id,
            "firstName": first,
            "lastName": last,
            "title": party["title"],
            "emailAddress": party["emailAddress"],
            "phoneNumber": party["phoneNumber"],
        }
        if kind == "CONTACT":
            record["accountId"] = account_id
        else:
            record["company"] = company
        self.objects[kind][crm_id] = record


@functools.lru_cache(maxsize=4)
def crm_records(catalog: CallCatalog) -> CrmRecords:
    """The CRM records of ``catalog`` (built once per catalog).

    :param catalog: The company's calls.
    """
    return CrmRecords(catalog)


def crm_url(crm_id: str) -> str:
    """The (fake) CRM page of an object.

    :param crm_id: Its CRM id.
    """
    return f"{CRM_HOST}/{crm_id}"


def integration_id(seed: int) -> int:
    """The id of the company's generic CRM integration (an int64, as Gong's).

    :param seed: The emulator's seed.
    """
    digest = hashlib.blake2b(f"gong-emulator-crm:{seed}".encode(), digest_size=8).digest()
    return 10**18 + int.from_bytes(digest, "big") % (8 * 10**18)


def _integration_owner(directory: UserDirectory) -> str | None:
    visible = directory.select(include_avatars=False)
    return directory.user(visible[0])["emailAddress"] if visible else None


def list_generic_crm_integration(request: Request) -> Answer:
    """``GET /v2/crm/integrations``: ``{"requestId", "integrations": [...]}``, the company's one."""
    integration = {
        "integrationId": integration_id(request.config.seed),
        "ownerEmail": _integration_owner(request.state.directory),
        "name": "Emulated Company CRM",
    }
    return Answer(200, dumps({"requestId": request.request_id, "integrations": [integration]}))


def _integration(request: Request) -> None:
    text = request.query_value("integrationId")
    if not text:
        raise BadRequestError("Missing required query parameter integrationId")
    if not (text.isascii() and text.isdigit()) or int(text) != integration_id(request.config.seed):
        raise BadRequestError(f"Invalid integrationId {text!r}: no such integration")


def _object_type(request: Request) -> str:
    value = request.query_value("objectType")
    if not value:
        raise BadRequestError("Missing required query parameter objectType")
    if value not in CRM_OBJECT_TYPES:
        raise BadRequestError(f"Invalid objectType {value!r}: expected one of {', '.join(CRM_OBJECT_TYPES)}")
    return value


def list_crm_schema_fields(request: Request) -> Answer:
    """``GET /v2/crm/entity-schema?integrationId=&objectType=``: the fields of one object type."""
    _integration(request)
    object_type = _object_type(request)
    fields = [
        {
            "uniqueName": name,
            "label": label,
            "type": kind,
            "lastModified": format_gong_time(_SCHEMA_MODIFIED),
            "isDeleted": False,
            "referenceTo": reference,
            "orderedValueList": list(_PICKLISTS[(object_type, name)]) if kind == "PICKLIST" else None,
        }
        for name, label, kind, reference in SCHEMA_FIELDS[object_type]
    ]
    payload = {"requestId": request.request_id, "objectTypeToSelectedFields": {object_type: fields}}
    return Answer(200, dumps(payload))


def _requested_ids(request: Request) -> list[str]:
    """The CRM ids: the JSON array of the body, else the ``objectsCrmIds`` query array (repeated or CSV)."""
    if request.body.strip():
        try:
            ids = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            raise BadRequestError("Malformed request body: not valid JSON") from None
        if not isinstance(ids, list) or not all(isinstance(value, str) for value in ids):
            raise BadRequestError("Malformed request body: expected a JSON array of CRM id strings")
    else:
        values = parse_qs(request.query.decode("latin-1")).get("objectsCrmIds", [])
        ids = [part for value in values for part in value.split(",") if part]
    if not ids:
        raise BadRequestError("Missing required objectsCrmIds: send a JSON array of CRM ids as the body")
    return list(dict.fromkeys(ids))


def get_crm_objects(request: Request) -> Answer:
    """``GET /v2/crm/entities?integrationId=&objectType=`` with a JSON array of CRM ids as the body.

    Answers ``{"requestId", "crmObjectsMap": {id: {field: value} | null}}`` for the first
    :data:`MAX_CRM_OBJECTS` distinct ids; an unknown id maps to ``null``.
    """
    _integration(request)
    object_type = _object_type(request)
    ids = _requested_ids(request)[:MAX_CRM_OBJECTS]
    objects = crm_records(request.state.calls).objects[object_type]
    found = {crm_id: objects.get(crm_id) for crm_id in ids}
    return Answer(200, dumps({"requestId": request.request_id, "crmObjectsMap": found}))


def get_request_status(request: Request) -> Answer:
    """``GET /v2/crm/request-status?integrationId=&clientRequestId=``: the status of an upload.

    The status, counts and errors follow from the ``clientRequestId`` (the same id, the same answer).
    """
    _integration(request)
    client_request_id = request.query_value("clientRequestId")
    if not client_request_id:
        raise BadRequestError("Missing required query parameter clientRequestId")
    digest = hashlib.blake2b(f"{request.config.seed}:{client_request_id}".encode(), digest_size=16).digest()
    status = _REQUEST_STATUSES[digest[0] % len(_REQUEST_STATUSES)]
    payload: dict[str, Any] = {"requestId": request.request_id, "status": status}
    if status in ("DONE", "FAILED"):
        total = 1 + int.from_bytes(digest[1:3], "big") % 500
        errors: Sequence[dict[str, Any]] = []
        if status == "FAILED":
            lines = sorted({1 + digest[4 + position] * total // 256 for position in range(1 + digest[3] % 3)})
            errors = [
                {"line": line, "description": _LINE_ERRORS[(line + digest[2]) % len(_LINE_ERRORS)]}
                for line in lines
            ]
        payload.update(errors=errors, totalErrorCount=len(errors), totalSuccessCount=total - len(errors))
    return Answer(200, dumps(payload))
