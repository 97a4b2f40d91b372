"""Gong Engage's read endpoints: ``listFlows``, ``listFlowsFolders``, ``getFlowSteps``,
``getProspectsAssignedFlows``, ``getFlowProspectsBulkAssignment`` and ``listTasks``.

The Engage data is derived from the emulator's users and calls, deterministically:

- Company flows live in company folders of each workspace (:data:`~airflow_provider_gong.testing.calls.
  WORKSPACE_IDS`); every non-avatar user has a personal folder of up to :data:`MAX_PERSONAL_FLOWS` flows of
  their workspace, some of them shared with the next two users (in the users' order).
- Prospects are the calls' external participants linked to a CRM contact or lead
  (:class:`~airflow_provider_gong.testing.resources.crm.CrmRecords`): most were assigned by the call's host,
  days before the call, to a flow the host sees. An assignment exists from its creation on (the emulator's
  clock); its status follows the clock too. Each host's assignments to one flow form one bulk assignment.
- Tasks: the ``CALL`` steps of a user's assignments (``FLOW``) and a follow-up call after each call the
  user hosted with a prospect (``MANUAL``); open until due, then done or dismissed.

Ids are 19-digit numbers that encode the record's position (a keyed permutation), so a look-up by id costs
nothing whatever the size of the company.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import WORKSPACE_IDS, CallCatalog
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found, paged_answer
from airflow_provider_gong.testing.inputs import Request, filter_object, gong_id, id_field
from airflow_provider_gong.testing.paging import CursorError, decode_cursor
from airflow_provider_gong.testing.resources.crm import Prospect, crm_records, crm_url
from airflow_provider_gong.testing.users import CREATED_END, CREATED_START, UserDirectory, format_gong_time

__all__ = [
    "FLOW_INSTANCE_STATUSES",
    "MAX_FLOW_IDS",
    "MAX_PERSONAL_FLOWS",
    "MOST_RECENT_FLOWS",
    "MSG_BULK_NOT_FOUND",
    "MSG_FLOWS_NOT_FOUND",
    "STEP_ACTIONS",
    "TASK_ACTIONS",
    "TASK_STATUSES",
    "TASK_TYPES",
    "EngageData",
    "engage_data",
    "get_flow_prospects_bulk_assignment",
    "get_flow_steps",
    "get_prospects_assigned_flows",
    "list_flows",
    "list_flows_folders",
    "list_tasks",
]

#: Most ``flowIds`` of one ``getFlowSteps`` call (the spec's limit).
MAX_FLOW_IDS = 20
#: Most personal flows of one user.
MAX_PERSONAL_FLOWS = 4
#: ``mostRecentlyAssigned`` returns at most this many flows (the spec's cap).
MOST_RECENT_FLOWS = 20
MSG_FLOWS_NOT_FOUND = "One or more flows not found"
MSG_BULK_NOT_FOUND = "Bulk assignment not found"
#: ``PublicApiFlowStep.action`` values.
STEP_ACTIONS = ("SEND_EMAIL", "AUTO_SEND_EMAIL", "CALL", "LINKEDIN_CONNECT", "LINKEDIN_MESSAGE", "CUSTOM")
#: ``PublicApiAssignedFlow.flowInstanceStatus`` values.
FLOW_INSTANCE_STATUSES = ("Pending", "Running", "Paused", "FinishedNoReply", "FinishedResponse", "Finished")
_OPEN_INSTANCE_STATUSES = frozenset(FLOW_INSTANCE_STATUSES[:3])
#: ``ReminderFilter`` enums: ``taskAction``, ``status`` and ``types`` (the ``ReminderDataDto.type`` values).
TASK_ACTIONS = ("CALL",)
TASK_STATUSES = ("OPEN", "DONE", "DISMISSED")
TASK_TYPES = ("FLOW", "MANUAL")

_DAY = 86_400
#: A prime just below 8e18: ids are ``10**18 + (position * a + b) mod P``, 19 digits below 2**63.
_PRIME = 7_999_999_999_999_999_961
_COMPANY_FOLDERS = ("Outbound", "Inbound", "Events", "Renewals", "Partners")
_FLOW_THEMES = ("Cold outreach", "Webinar follow-up", "Trial nurture", "Re-engage", "Post-demo", "Champion")
_PERSONAL_THEMES = ("My top accounts", "Quick follow-up", "Referrals", "Event leads", "Closed lost revival")
_SUBJECTS = (
    "Following up on our conversation",
    "Quick question about {company}",
    "Ideas for your team",
    "Re: next steps",
    "Worth a look?",
)
_BODIES = (
    "Hi {{first_name}}, thanks for your time today. Here is the recap we discussed.",
    "Hi {{first_name}}, I noticed your team is growing and thought this might help.",
    "Hi {{first_name}}, circling back on my last note. Any thoughts?",
    "Hi {{first_name}}, would a 15-minute call next week work for you?",
)
_PRIORITIES = ((1, "high", 100), (2, "medium", 50), (3, "low", 10))
_BULK_NAMESPACE = uuid.UUID("5b0f2c3e-7a51-4f0e-9a3c-1d2e4f6a8b90")


class _Ids:
    """A keyed permutation of positions into 19-digit ids, and back.

    :param seed: The emulator's seed.
    :param purpose: What the ids name (folders, flows...): each kind has its own key.
    """

    def __init__(self, seed: int, purpose: str) -> None:
        rng = random.Random(f"gong-emulator-engage-ids:{seed}:{purpose}")
        self._a = rng.randrange(1, _PRIME)
        self._b = rng.randrange(_PRIME)
        self._inverse = pow(self._a, -1, _PRIME)

    def id(self, position: int) -> str:
        """The id of ``position``."""
        return str(10**18 + (position * self._a + self._b) % _PRIME)

    def position(self, value: str) -> int | None:
        """The position an id names (``None`` for a text that is no id of this kind)."""
        if not (value.isascii() and value.isdigit()) or len(value) != 19:
            return None
        number = int(value) - 10**18
        if not 0 <= number < _PRIME:
            return None
        return (number - self._b) * self._inverse % _PRIME


@dataclasses.dataclass(frozen=True)
class Folder:
    """A flow folder.

    :param id: Its id.
    :param name: Its name.
    :param parent: Its parent folder (``None`` for a top folder).
    :param visibility: ``"Company"``, ``"Personal"`` or ``"Shared"``.
    :param created: Creation time, UTC epoch seconds.
    :param workspace_id: Its workspace.
    :param owner: Position of the owning user (``None`` for a company folder).
    """

    id: str
    name: str
    parent: Folder | None
    visibility: str
    created: int
    workspace_id: str
    owner: int | None


@dataclasses.dataclass(frozen=True)
class Flow:
    """An Engage flow.

    :param position: Its position (encoded in its id).
    :param id: Its id.
    :param name: Its name.
    :param folder: Its folder.
    :param visibility: ``"Company"``, ``"Personal"`` or ``"Shared"``.
    :param created: Creation time, UTC epoch seconds.
    :param exclusive: Whether a prospect in it can be added to no other flow.
    :param owner: Position of the owning user (``None`` for a company flow).
    :param shared_with: Positions of the users it is shared with.
    """

    position: int
    id: str
    name: str
    folder: Folder
    visibility: str
    created: int
    exclusive: bool
    owner: int | None
    shared_with: tuple[int, ...]

    @property
    def workspace_id(self) -> str:
        """The flow's workspace (its folder's)."""
        return self.folder.workspace_id


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of a flow.

    :param id: Its id.
    :param order: Its 1-based order.
    :param action: One of :data:`STEP_ACTIONS`.
    :param subject: E-mail subject (e-mail steps), else ``None``.
    :param body: Its text.
    :param is_reply: Whether the e-mail replies in the previous e-mail's thread.
    """

    id: str
    order: int
    action: str
    subject: str | None
    body: str
    is_reply: bool


@dataclasses.dataclass(frozen=True)
class Assignment:
    """A prospect assigned to a flow (a flow instance).

    :param id: The flow instance id.
    :param flow: The flow.
    :param prospect: The prospect.
    :param owner: Position of the user who owns the instance (the call's host).
    :param created: Creation time, UTC epoch seconds.
    :param paused: Whether it was paused (while it runs).
    :param ending: How it ends: ``"FinishedNoReply"``, ``"FinishedResponse"`` or ``"Finished"``.
    """

    id: str
    flow: Flow
    prospect: Prospect
    owner: int
    created: int
    paused: bool
    ending: str

    def status(self, steps: int, now: float) -> str:
        """Its status at ``now``: pending its first hour, running two days per step, then finished.

        :param steps: Number of steps of its flow.
        :param now: The emulator's clock, UTC epoch seconds.
        """
        if now < self.created + 3600:
            return "Pending"
        if now < self.created + steps * 2 * _DAY:
            return "Paused" if self.paused else "Running"
        return self.ending


class EngageData:
    """The Engage flows, folders, assignments and tasks of one company (see the module's docstring).

    :param directory: The company's users.
    :param catalog: The company's calls.
    """

    def __init__(self, directory: UserDirectory, catalog: CallCatalog) -> None:
        self.directory = directory
        self.catalog = catalog
        self.seed = directory.seed
        self.key = (directory.key, catalog.key)
        self._members = directory.select(include_avatars=False)
        self._member_rank = {index: rank for rank, index in enumerate(self._members)}
        self._folder_ids = _Ids(self.seed, "folders")
        self._flow_ids = _Ids(self.seed, "flows")
        self._step_ids = _Ids(self.seed, "steps")
        self._instance_ids = _Ids(self.seed, "instances")
        self._task_ids = _Ids(self.seed, "tasks")
        self.company_folders, self.company_flows = self._company()
        self._personal = functools.lru_cache(maxsize=4096)(self._build_personal)
        self._steps = functools.lru_cache(maxsize=4096)(self._build_steps)
        self._assignments: list[Assignment] | None = None

    # -- flows and folders ---------------------------------------------------------------------------------

    def _rng(self, purpose: str, key: object) -> random.Random:
        return random.Random(f"gong-emulator-engage:{self.seed}:{purpose}:{key}")

    def _company(self) -> tuple[list[Folder], list[Flow]]:
        rng = self._rng("company", 0)
        folders: list[Folder] = []
        flows: list[Flow] = []
        for workspace_id in WORKSPACE_IDS:
            created = rng.randrange(CREATED_START, CREATED_START + 365 * _DAY)
            root = Folder(
                self._folder_ids.id(len(folders)),
                "Company flows",
                None,
                "Company",
                created,
                workspace_id,
                None,
            )
            folders.append(root)
            for name in rng.sample(_COMPANY_FOLDERS, 3):
                folder = Folder(
                    self._folder_ids.id(len(folders)),
                    name,
                    root,
                    "Company",
                    rng.randrange(created, CREATED_END),
                    workspace_id,
                    None,
                )
                folders.append(folder)
                for theme in rng.sample(_FLOW_THEMES, rng.randint(2, 4)):
                    flows.append(
                        Flow(
                            position=len(flows),
                            id=self._flow_ids.id(len(flows)),
                            name=f"{name} - {theme}",
                            folder=folder,
                            visibility="Company",
                            created=rng.randrange(folder.created, CREATED_END),
                            exclusive=rng.random() < 0.4,
                            owner=None,
                            shared_with=(),
                        )
                    )
        return folders, flows

    def _build_personal(self, rank: int) -> tuple[Folder, tuple[Flow, ...]]:
        """The personal folder and flows of the ``rank``-th non-avatar user."""
        index = self._members[rank]
        rng = self._rng("personal", rank)
        user = self.directory.user(index)
        workspace_id = WORKSPACE_IDS[0] if rng.random() < 0.8 else WORKSPACE_IDS[1]
        created = self.directory.created_epoch(index)
        count = rng.randint(0, MAX_PERSONAL_FLOWS)
        shared = [rng.random() < 0.3 for _ in range(count)]
        others = len(self._members)
        shared_with = tuple(sorted({(rank + step) % others for step in (1, 2)} - {rank}))
        folder = Folder(
            self._folder_ids.id(len(self.company_folders) + rank),
            f"{user['firstName']} {user['lastName']}'s flows",
            None,
            "Shared" if any(shared) else "Personal",
            created + rng.randrange(_DAY, 30 * _DAY),
            workspace_id,
            index,
        )
        flows = []
        for position, (theme, is_shared) in enumerate(
            zip(rng.sample(_PERSONAL_THEMES, count), shared, strict=True)
        ):
            flow_position = len(self.company_flows) + rank * MAX_PERSONAL_FLOWS + position
            flows.append(
                Flow(
                    position=flow_position,
                    id=self._flow_ids.id(flow_position),
                    name=theme,
                    folder=folder,
                    visibility="Shared" if is_shared else "Personal",
                    created=folder.created + rng.randrange(_DAY, 400 * _DAY),
                    exclusive=rng.random() < 0.2,
                    owner=index,
                    shared_with=shared_with if is_shared else (),
                )
            )
        return folder, tuple(flows)

    def rank_of(self, index: int) -> int | None:
        """The rank of a user among the non-avatar users (``None`` for an avatar)."""
        return self._member_rank.get(index)

    def visible_flows(self, index: int) -> list[Flow]:
        """The flows a user sees: company flows, their own, and those shared with them (by creation)."""
        flows = list(self.company_flows)
        rank = self.rank_of(index)
        if rank is not None:
            flows.extend(self._personal(rank)[1])
            for step in (1, 2):
                other = (rank - step) % len(self._members)
                if other != rank:
                    flows.extend(flow for flow in self._personal(other)[1] if rank in flow.shared_with)
        return _by_creation(list({flow.id: flow for flow in flows}.values()))

    def visible_folders(self, index: int) -> list[Folder]:
        """The folders a user sees: company folders, their own and those holding flows shared with them."""
        folders = list(self.company_folders)
        rank = self.rank_of(index)
        if rank is not None:
            folders.append(self._personal(rank)[0])
            folders.extend(
                flow.folder for flow in self.visible_flows(index) if flow.owner not in (None, index)
            )
        return sorted(
            {folder.id: folder for folder in folders}.values(), key=lambda item: (item.created, item.id)
        )

    def flow(self, flow_id: str) -> Flow | None:
        """The flow of an id, or ``None``."""
        position = self._flow_ids.position(flow_id)
        if position is None:
            return None
        if position < len(self.company_flows):
            return self.company_flows[position]
        rank, offset = divmod(position - len(self.company_flows), MAX_PERSONAL_FLOWS)
        if rank >= len(self._members):
            return None
        flows = self._personal(rank)[1]
        return flows[offset] if offset < len(flows) else None

    def steps(self, flow: Flow) -> tuple[Step, ...]:
        """The steps of a flow (3 to 8)."""
        return self._steps(flow)

    def _build_steps(self, flow: Flow) -> tuple[Step, ...]:
        rng = self._rng("steps", flow.position)
        actions = ["AUTO_SEND_EMAIL", *rng.choices(STEP_ACTIONS, k=rng.randint(2, 7))]
        steps = []
        emails = 0
        for order, action in enumerate(actions, start=1):
            email = action in ("SEND_EMAIL", "AUTO_SEND_EMAIL")
            steps.append(
                Step(
                    id=self._step_ids.id(flow.position * 8 + order - 1),
                    order=order,
                    action=action,
                    subject=rng.choice(_SUBJECTS).format(company="{{company}}") if email else None,
                    body=rng.choice(_BODIES)
                    if email or action.startswith("LINKEDIN")
                    else f"{action.title()} step",
                    is_reply=email and emails > 0 and rng.random() < 0.6,
                )
            )
            emails += email
        return tuple(steps)

    # -- assignments and tasks -----------------------------------------------------------------------------

    def assignments(self) -> list[Assignment]:
        """Every assignment, in prospect order (built once)."""
        if self._assignments is None:
            records = crm_records(self.catalog)
            found: list[Assignment] = []
            for prospect in records.prospects:
                rng = self._rng("assignment", prospect.crm_id)
                if rng.random() >= 0.7:
                    continue
                host = self.directory.index_of(self.catalog.primary_user_id(prospect.call))
                if host is None:  # pragma: no cover - every call has a host
                    continue
                flows = self.visible_flows(host)
                started = self.catalog.started_epoch(prospect.call)
                found.append(
                    Assignment(
                        id=self._instance_ids.id(prospect.ordinal),
                        flow=rng.choice(flows),
                        prospect=prospect,
                        owner=host,
                        created=started - rng.randrange(_DAY, 20 * _DAY),
                        paused=rng.random() < 0.1,
                        ending=rng.choice(FLOW_INSTANCE_STATUSES[3:]),
                    )
                )
            self._assignments = found
        return self._assignments

    def assignment(self, instance_id: str) -> Assignment | None:
        """The assignment of a flow instance id, or ``None``."""
        position = self._instance_ids.position(instance_id)
        if position is None:
            return None
        return next((item for item in self.assignments() if item.prospect.ordinal == position), None)

    def bulk_assignments(self) -> dict[str, list[Assignment]]:
        """The bulk assignments: one per host and flow, by id (a UUID), oldest assignment first."""
        groups: dict[str, list[Assignment]] = {}
        for item in sorted(self.assignments(), key=lambda entry: (entry.created, entry.id)):
            key = str(uuid.uuid5(_BULK_NAMESPACE, f"{self.seed}:{item.owner}:{item.flow.id}"))
            groups.setdefault(key, []).append(item)
        return groups

    def tasks(self, index: int, now: float) -> list[dict[str, Any]]:
        """The tasks of a user at ``now`` (``ReminderDataDto`` objects), by due date."""
        user_id = self.directory.ids[index]
        records = crm_records(self.catalog)
        tasks: list[tuple[int, dict[str, Any]]] = []
        for item in self.assignments():
            if item.owner != index or item.created > now:
                continue
            for step in self.steps(item.flow):
                if step.action != "CALL":
                    continue
                due = item.created + (step.order - 1) * 2 * _DAY
                position = item.prospect.ordinal * 16 + step.order
                task = self._task(position, user_id, item.prospect, due - _DAY, due, now, "FLOW")
                task["flow"] = {
                    "id": int(item.flow.id),
                    "name": item.flow.name,
                    "step": {"id": int(step.id), "name": "Call", "stepNumber": step.order},
                }
                tasks.append((due, task))
        for prospect in records.prospects:
            call = prospect.call
            if self.catalog.primary_user_id(call) != user_id or not self.catalog.is_visible(call, now):
                continue
            ended = self.catalog.started_epoch(call) + int(self.catalog.basic(call)["duration"])
            due = ended + 3 * _DAY
            task = self._task(prospect.ordinal * 16, user_id, prospect, ended, due, now, "MANUAL")
            task["title"] = f"Follow up with {prospect.first_name} {prospect.last_name}"
            tasks.append((due, task))
        tasks.sort(key=lambda entry: (entry[0], entry[1]["id"]))
        return [task for _, task in tasks]

    def _task(
        self, position: int, user_id: str, prospect: Prospect, created: int, due: int, now: float, kind: str
    ) -> dict[str, Any]:
        rng = self._rng("task", position)
        done = due <= now
        status = ("DONE" if rng.random() < 0.85 else "DISMISSED") if done else "OPEN"
        account_id, deal_id = crm_records(self.catalog).deals_of_call[prospect.call]
        objects = crm_records(self.catalog).objects
        priority_id, priority_name, weight = rng.choice(_PRIORITIES)
        task: dict[str, Any] = {
            "id": int(self._task_ids.id(position)),
            "userId": int(user_id),
            "created": format_gong_time(created),
            "updated": format_gong_time(due if done else created),
            "status": status,
            "type": kind,
            "actions": ["CALL"],
            "dueDate": format_gong_time(due),
            "contact": _contact(prospect),
            "additionalContacts": [],
            "priority": {"id": priority_id, "name": priority_name, "weight": weight},
            "workspaceId": self.catalog.workspace_id(prospect.call),
        }
        if account_id is not None:
            account = objects["ACCOUNT"][account_id]
            task["account"] = {"crmId": account_id, "name": account["name"], "crmUrl": crm_url(account_id)}
        if deal_id is not None:
            deal = objects["DEAL"][deal_id]
            task["opportunity"] = {
                "crmId": deal_id,
                "name": deal["name"],
                "crmUrl": crm_url(deal_id),
                "status": "Closed" if deal["stage"] == "Closed Won" else "Open",
                "stage": deal["stage"],
                "amount": str(deal["amount"]),
                "probability": str(rng.choice((10, 20, 40, 60, 80, 100))),
                "closeDate": deal["closeDate"],
            }
        return task


def _contact(prospect: Prospect) -> dict[str, Any]:
    data: dict[str, Any] = {
        "firstName": prospect.first_name,
        "lastName": prospect.last_name,
        "crmUrl": crm_url(prospect.crm_id),
        "companyName": prospect.company,
        "affiliation": "Them",
        "emails": [{"email": prospect.email}] if prospect.email else [],
        "title": prospect.title,
        "timezone": "US/Eastern",
        "phoneNumbers": [],
        "optOutChannels": [],
    }
    if prospect.phone:
        digits = "".join(char for char in prospect.phone if char.isdigit())
        data["phoneNumbers"] = [
            {
                "raw": prospect.phone,
                "countryCode": 1,
                "normalized": f"+{digits}",
                "label": "work",
                "isVerified": True,
            }
        ]
    return {"crmId": prospect.crm_id, "type": prospect.kind, "data": data}


def _by_creation(flows: Iterable[Flow]) -> list[Flow]:
    return sorted(flows, key=lambda flow: (flow.created, flow.id))


@functools.lru_cache(maxsize=4)
def engage_data(directory: UserDirectory, catalog: CallCatalog) -> EngageData:
    """The Engage data of a company (built once per users and calls).

    :param directory: The company's users.
    :param catalog: The company's calls.
    """
    return EngageData(directory, catalog)


def _data(request: Request) -> EngageData:
    return engage_data(request.state.directory, request.state.calls)


# -- inputs --------------------------------------------------------------------------------------------------


def _owner(request: Request, name: str) -> int:
    """The user named by the e-mail query parameter ``name`` (required; an unknown address is a 400)."""
    email = request.query_value(name)
    if not email:
        raise BadRequestError(f"Missing required query parameter {name}")
    index = _user_by_email(request.state.directory, email.strip().lower())
    if index is None:
        raise BadRequestError(f"Invalid {name} {email!r}: no Gong user has this e-mail address")
    return index


@functools.lru_cache(maxsize=4)
def _emails(directory: UserDirectory) -> Mapping[str, int]:
    return {directory.user(index)["emailAddress"].lower(): index for index in range(len(directory))}


def _user_by_email(directory: UserDirectory, email: str) -> int | None:
    return _emails(directory).get(email)


def _query_id(request: Request, name: str, what: str) -> str | None:
    value = request.query_value(name)
    return gong_id(value, what) if value else None


def _string_list(payload: Mapping[str, Any], name: str, limit: int | None = None) -> list[str] | None:
    values = payload.get(name)
    if values is None:
        return None
    if not isinstance(values, list) or not all(isinstance(value, str) and value for value in values):
        raise BadRequestError(f"{name} must be a list of non-empty strings")
    if limit is not None and len(values) > limit:
        raise BadRequestError(f"{name} holds {len(values)} ids; at most {limit} are allowed")
    return list(dict.fromkeys(values)) or None


def _enum_list(filters: Mapping[str, Any], name: str, allowed: Sequence[str]) -> frozenset[str]:
    values = filters.get(name)
    if values is None:
        raise BadRequestError(f"Malformed request body: 'filter.{name}' is required")
    if not isinstance(values, list) or not values:
        raise BadRequestError(f"filter.{name} must be a non-empty list of {', '.join(allowed)}")
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise BadRequestError(f"Invalid filter.{name} value(s) {unknown!r}: expected {', '.join(allowed)}")
    return frozenset(values)


# -- answers -------------------------------------------------------------------------------------------------


def _flow_json(flow: Flow) -> bytes:
    return dumps(
        {
            "id": flow.id,
            "name": flow.name,
            "folderId": flow.folder.id,
            "folderName": flow.folder.name,
            "visibility": flow.visibility,
            "creationDate": format_gong_time(flow.created),
            "exclusive": flow.exclusive,
        }
    )


def _folder_json(folder: Folder) -> bytes:
    """A folder in ``listFlowsFolders``' items (the spec answers ``PublicApiFlow`` objects): its parent is
    its ``folderId`` / ``folderName`` (``null`` for a top folder).
    """
    parent = folder.parent
    return dumps(
        {
            "id": folder.id,
            "name": folder.name,
            "folderId": None if parent is None else parent.id,
            "folderName": None if parent is None else parent.name,
            "visibility": folder.visibility,
            "creationDate": format_gong_time(folder.created),
        }
    )


def _flows_page(
    request: Request, items: Sequence[Any], render: Callable[[Any], bytes], fingerprint: str
) -> Answer:
    """A page of ``flows`` (Gong lists no 404 here: nothing matching is an empty first page)."""
    config = request.config
    cursor = request.query_cursor()
    fingerprint = f"{fingerprint}|{_data(request).key}"
    if not items:
        if cursor is not None:
            try:
                decode_cursor(cursor, f"{fingerprint}|{config.page_size}", 0, ttl=config.cursor_ttl)
            except CursorError as exc:
                raise BadRequestError(str(exc)) from None
        records = {"totalRecords": 0, "currentPageSize": 0, "currentPageNumber": 0}
        return Answer(200, dumps({"requestId": request.request_id, "records": records, "flows": []}))
    return paged_answer(
        items,
        render,
        key="flows",
        cursor=cursor,
        fingerprint=fingerprint,
        page_size=config.page_size,
        cursor_ttl=config.cursor_ttl,
        empty_message=MSG_FLOWS_NOT_FOUND,
        request_id=request.request_id,
    )


def list_flows(request: Request) -> Answer:
    """``GET /v2/flows?flowOwnerEmail=&workspaceId=&folderId=&mostRecentlyAssigned=&cursor=``: the flows the
    user sees (company, personal, shared with them) by creation, or the (at most 20) flows they assigned
    most recently, latest first.
    """
    owner = _owner(request, "flowOwnerEmail")
    workspace_id = _query_id(request, "workspaceId", "workspace id")
    folder_id = _query_id(request, "folderId", "folder id")
    recent = request.query_bool("mostRecentlyAssigned")
    data = _data(request)
    now = request.config.now()
    if recent:
        assigned = sorted(
            (item for item in data.assignments() if item.owner == owner and item.created <= now),
            key=lambda item: (-item.created, item.id),
        )
        flows = list({item.flow.id: item.flow for item in assigned}.values())
    else:
        flows = data.visible_flows(owner)
    flows = [
        flow
        for flow in flows
        if (workspace_id is None or flow.workspace_id == workspace_id)
        and (folder_id is None or flow.folder.id == folder_id)
    ]
    if recent:
        flows = flows[:MOST_RECENT_FLOWS]
    fingerprint = json.dumps(["flows", owner, workspace_id, folder_id, recent])
    return _flows_page(request, flows, _flow_json, fingerprint)


def list_flows_folders(request: Request) -> Answer:
    """``GET /v2/flows/folders?flowFolderOwnerEmail=&parentId=&workspaceId=&cursor=``: the folders the user
    sees, by creation; with ``parentId`` that folder and its children.
    """
    owner = _owner(request, "flowFolderOwnerEmail")
    parent_id = _query_id(request, "parentId", "folder id")
    workspace_id = _query_id(request, "workspaceId", "workspace id")
    folders = [
        folder
        for folder in _data(request).visible_folders(owner)
        if (workspace_id is None or folder.workspace_id == workspace_id)
        and (
            parent_id is None
            or folder.id == parent_id
            or (folder.parent is not None and folder.parent.id == parent_id)
        )
    ]
    fingerprint = json.dumps(["folders", owner, parent_id, workspace_id])
    return _flows_page(request, folders, _folder_json, fingerprint)


def get_flow_steps(request: Request) -> Answer:
    """``POST /v2/flows/steps`` body ``{"flowIds": [...]}`` (at most 20): each flow with its steps."""
    flow_ids = _string_list(request.json_body(), "flowIds", MAX_FLOW_IDS)
    if flow_ids is None:
        raise BadRequestError("Malformed request body: 'flowIds' is required")
    data = _data(request)
    flows = [flow for flow in map(data.flow, flow_ids) if flow is not None]
    if len(flows) < len(flow_ids):
        return not_found(MSG_FLOWS_NOT_FOUND, request.request_id)
    answer = []
    for flow in flows:
        answer.append(
            {
                "id": flow.id,
                "name": flow.name,
                "folderId": flow.folder.id,
                "visibility": flow.visibility,
                "creationDate": format_gong_time(flow.created),
                "exclusive": flow.exclusive,
                "description": f"{flow.name}: {len(data.steps(flow))} steps",
                "steps": [
                    {
                        "id": step.id,
                        "stepOrder": step.order,
                        "action": step.action,
                        "subject": step.subject,
                        "body": step.body,
                        "isReply": step.is_reply,
                    }
                    for step in data.steps(flow)
                ],
            }
        )
    return Answer(200, dumps({"requestId": request.request_id, "flows": answer}))


def get_prospects_assigned_flows(request: Request) -> Answer:
    """``POST /v2/flows/prospects`` body ``{"crmProspectsIds": [...]}`` (open instances only) or
    ``{"flowInstanceIds": [...]}`` (all instances); unknown ids are skipped.
    """
    payload = request.json_body()
    crm_ids = _string_list(payload, "crmProspectsIds")
    instance_ids = _string_list(payload, "flowInstanceIds")
    if (crm_ids is None) == (instance_ids is None):
        raise BadRequestError("Provide exactly one of crmProspectsIds or flowInstanceIds")
    data = _data(request)
    now = request.config.now()
    if crm_ids is not None:
        wanted = set(crm_ids)
        found = [item for item in data.assignments() if item.prospect.crm_id in wanted]
    else:
        found = [item for item in map(data.assignment, instance_ids or ()) if item is not None]
    assigned = []
    for item in sorted(found, key=lambda entry: (entry.created, entry.id)):
        if item.created > now:
            continue
        status = item.status(len(data.steps(item.flow)), now)
        if crm_ids is not None and status not in _OPEN_INSTANCE_STATUSES:
            continue
        user = data.directory.user(item.owner)
        assigned.append(
            {
                "flowId": item.flow.id,
                "flowName": item.flow.name,
                "crmProspectId": item.prospect.crm_id,
                "flowInstanceId": item.id,
                "flowInstanceOwnerEmail": user["emailAddress"],
                "flowInstanceOwnerFullName": f"{user['firstName']} {user['lastName']}",
                "flowInstanceCreateDate": format_gong_time(item.created),
                "flowInstanceStatus": status,
                "workspaceId": item.flow.workspace_id,
                "exclusive": item.flow.exclusive,
            }
        )
    return Answer(200, dumps({"requestId": request.request_id, "prospectsAssigned": assigned}))


def get_flow_prospects_bulk_assignment(request: Request) -> Answer:
    """``GET /v2/flows/prospects/bulk-assignments/{id}``: the results of one bulk assignment (404 if
    unknown, or not yet started at the emulator's clock).
    """
    bulk_id = request.params["id"]
    data = _data(request)
    now = request.config.now()
    items = [item for item in data.bulk_assignments().get(bulk_id, ()) if item.created <= now]
    if not items:
        return not_found(MSG_BULK_NOT_FOUND, request.request_id)
    complete = len(items) == len(data.bulk_assignments()[bulk_id])
    results = []
    for item in items:
        prospect = item.prospect
        results.append(
            {
                "prospect": {
                    "firstName": prospect.first_name,
                    "lastName": prospect.last_name,
                    "email": prospect.email,
                    "jobTitle": prospect.title,
                    "crmId": prospect.crm_id,
                    "accountCrmId": prospect.account_id,
                    "companyName": prospect.company,
                },
                "status": "ASSIGNED",
                "crmId": prospect.crm_id,
                "flowInstanceId": item.id,
            }
        )
    payload = {
        "requestId": request.request_id,
        "id": bulk_id,
        "status": "COMPLETED" if complete else "IN_PROGRESS",
        "totalCount": len(data.bulk_assignments()[bulk_id]),
        "processedCount": len(items),
        "successCount": len(items),
        "failedCount": 0,
        "results": results,
    }
    return Answer(200, dumps(payload))


def list_tasks(request: Request) -> Answer:
    """``POST /v2/tasks`` body ``{"filter": {"userId", "types", "taskAction", "status", "workspaceId"?}}``:
    the user's tasks of those types, actions and statuses, by due date (not paged).
    """
    filters = filter_object(request.json_body())
    user_id = id_field(filters, "userId", "user id")
    if user_id is None:
        raise BadRequestError("Malformed request body: 'filter.userId' is required")
    types = _enum_list(filters, "types", TASK_TYPES)
    actions = _enum_list(filters, "taskAction", TASK_ACTIONS)
    statuses = _enum_list(filters, "status", TASK_STATUSES)
    workspace_id = id_field(filters, "workspaceId", "workspace id")
    index = request.state.directory.index_of(user_id)
    if index is None:
        raise BadRequestError(f"Invalid filter.userId {user_id!r}: no such user")
    tasks = [
        task
        for task in _data(request).tasks(index, request.config.now())
        if task["type"] in types
        and task["status"] in statuses
        and actions.intersection(task["actions"])
        and (workspace_id is None or task["workspaceId"] == workspace_id)
    ]
    for task in tasks:
        del task["workspaceId"]
    return Answer(200, dumps({"requestId": request.request_id, "tasks": tasks, "crmType": "SALESFORCE"}))
