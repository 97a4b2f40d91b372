"""Gong's settings endpoints: workspaces, keyword trackers, scorecards, AI briefs, call outcomes and
permission profiles (``listWorkspaces``, ``listTrackers``, ``listScorecards``, ``listBriefs``,
``listCallOutcomes``, ``listPermissionProfile``, ``getPermissionProfile``, ``listPermissionProfileUsers``).

The company's settings are a small fixed set that the other resources use too: the workspaces are the
calls' (:data:`~airflow_provider_gong.testing.calls.WORKSPACE_IDS`), the keyword trackers and call outcomes
are the ones the calls' content mentions, the scorecards are the ones answered in
``listAnsweredScorecards``. Every user (avatars excepted) holds one permission profile per workspace,
by role: the first example user administers, the users someone reports to manage, the others sell or view.
None of these answers is paged (as in Gong).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_gong.testing.asgi import Answer
from airflow_provider_gong.testing.calls import OUTCOMES, TRACKERS, WORKSPACE_IDS
from airflow_provider_gong.testing.envelope import BadRequestError, dumps, not_found, record_answer
from airflow_provider_gong.testing.inputs import Request, gong_id
from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = [
    "LIBRARY_FOLDERS",
    "MSG_PROFILE_NOT_FOUND",
    "MSG_WORKSPACE_NOT_FOUND",
    "SCORECARDS",
    "WORKSPACES",
    "Folder",
    "Question",
    "Scorecard",
    "get_permission_profile",
    "list_briefs",
    "list_call_outcomes",
    "list_permission_profile",
    "list_permission_profile_users",
    "list_scorecards",
    "list_trackers",
    "list_workspaces",
    "reports_of",
    "workspace_query",
]

MSG_WORKSPACE_NOT_FOUND = "Workspace not found"
MSG_PROFILE_NOT_FOUND = "Permission profile not found"

#: The company's workspaces: ``(id, name, description)``; the ids are the calls' workspaces.
WORKSPACES = (
    (WORKSPACE_IDS[0], "Sales", "New business: prospecting, discovery and demos"),
    (WORKSPACE_IDS[1], "Customer Success", "Onboarding, renewals and account reviews"),
)

#: 2024-03-04T17:00:00Z: when the company's settings were first made (before any call of the defaults).
_SETTINGS_CREATED = 1_709_571_600
_DAY = 86_400


@dataclasses.dataclass(frozen=True)
class Question:
    """One question of a scorecard.

    :param question_id: Its id.
    :param text: The question.
    :param kind: Gong's ``questionType``: ``"SCALE"``, ``"YES_NO"``, ``"SINGLE_SELECT"``,
        ``"MULTIPLE_SELECT"`` or ``"TEXT"``.
    :param overall: Whether it is the scorecard's overall question.
    :param options: The answer options of a select question.
    """

    question_id: int
    text: str
    kind: str
    overall: bool = False
    options: tuple[str, ...] = ()

    @property
    def revision_id(self) -> int:
        """The id of the question's current revision."""
        return self.question_id + 1

    def option_ids(self) -> list[int]:
        """The ids of the answer options, in order."""
        return [self.question_id % 1000 * 10 + position for position in range(len(self.options))]

    def to_json(self) -> dict[str, Any]:
        """The spec's ``Question``."""
        scale = self.kind == "SCALE"
        return {
            "questionId": self.question_id,
            "questionRevisionId": self.revision_id,
            "questionText": self.text,
            "isOverall": self.overall,
            "questionType": self.kind,
            "answerGuide": f"Guidance: {self.text.rstrip('?').lower()}." if self.kind != "TEXT" else None,
            "minRange": 1 if scale else None,
            "maxRange": 5 if scale else None,
            "answerOptions": (
                [
                    {"id": option_id, "text": text}
                    for option_id, text in zip(self.option_ids(), self.options, strict=True)
                ]
                if self.options
                else None
            ),
        }


@dataclasses.dataclass(frozen=True)
class Scorecard:
    """One scorecard of the company.

    :param scorecard_id: Its id.
    :param name: Its name.
    :param workspace: Position of its workspace in :data:`WORKSPACES`.
    :param method: ``"MANUAL"`` (a colleague answers it) or ``"AUTOMATIC"`` (Gong's AI does).
    :param enabled: Whether calls are still scored with it.
    :param questions: Its questions, the overall one first.
    """

    scorecard_id: int
    name: str
    workspace: int
    method: str
    enabled: bool
    questions: tuple[Question, ...]

    @property
    def workspace_id(self) -> str:
        """The id of its workspace."""
        return WORKSPACES[self.workspace][0]

    def to_json(self) -> dict[str, Any]:
        """The spec's ``Scorecard``."""
        created = _SETTINGS_CREATED + self.scorecard_id % 97 * _DAY
        return {
            "scorecardId": self.scorecard_id,
            "scorecardName": self.name,
            "workspaceId": int(self.workspace_id),
            "enabled": self.enabled,
            "updaterUserId": None,
            "created": format_gong_time(created),
            "updated": format_gong_time(created + 41 * _DAY),
            "reviewMethod": self.method,
            "questions": [question.to_json() for question in self.questions],
        }


_RATINGS = ("Poor", "Fair", "Good", "Great")
#: The company's scorecards; the enabled ones are answered on calls of their workspace.
SCORECARDS = (
    Scorecard(
        3816290475123846101,
        "Discovery Call Scorecard",
        0,
        "MANUAL",
        True,
        (
            Question(3816290475123847001, "Overall, how well was the discovery run?", "SCALE", overall=True),
            Question(3816290475123847003, "Did the rep confirm the customer's pain?", "YES_NO"),
            Question(
                3816290475123847005, "How well were next steps agreed?", "SINGLE_SELECT", options=_RATINGS
            ),
            Question(3816290475123847007, "What should the rep do differently?", "TEXT"),
        ),
    ),
    Scorecard(
        5529104736281904203,
        "Demo Excellence",
        0,
        "MANUAL",
        True,
        (
            Question(5529104736281905001, "Overall demo quality", "SCALE", overall=True),
            Question(
                5529104736281905003,
                "Which parts of the product were shown?",
                "MULTIPLE_SELECT",
                options=("Dashboards", "Forecasting", "Integrations", "Mobile app"),
            ),
            Question(5529104736281905005, "Was the demo tailored to the customer?", "YES_NO"),
        ),
    ),
    Scorecard(
        7741029384756102305,
        "AI Call Review",
        0,
        "AUTOMATIC",
        True,
        (
            Question(7741029384756103001, "Overall call score", "SCALE", overall=True),
            Question(7741029384756103003, "Did the rep ask open questions?", "YES_NO"),
        ),
    ),
    Scorecard(
        2208374615290384407,
        "Renewal Readiness",
        1,
        "MANUAL",
        True,
        (
            Question(2208374615290385001, "Overall renewal risk handling", "SCALE", overall=True),
            Question(2208374615290385003, "Was the account's health reviewed?", "YES_NO"),
            Question(2208374615290385005, "Notes for the account team", "TEXT"),
        ),
    ),
    Scorecard(
        9130284756019283409,
        "Cold Call Script (2024)",
        0,
        "MANUAL",
        False,
        (Question(9130284756019284001, "Overall script adherence", "SCALE", overall=True),),
    ),
)


@dataclasses.dataclass(frozen=True)
class Folder:
    """One public folder of the library.

    :param name: Its name.
    :param workspace: Position of its workspace in :data:`WORKSPACES`.
    :param parent: The name of its parent folder (``None``: the workspace's root folder).
    :param share: Share of the workspace's calls added to it (a call goes to one folder at most).
    """

    name: str
    workspace: int
    parent: str | None = None
    share: float = 0.0

    @property
    def folder_id(self) -> str:
        """Its id."""
        return _numeric_id("library-folder", WORKSPACES[self.workspace][0], self.name)

    @property
    def parent_id(self) -> str | None:
        """The id of its parent folder."""
        return None if self.parent is None else Folder(self.parent, self.workspace).folder_id


#: The public folders of the library, parents first.
LIBRARY_FOLDERS = (
    Folder("Sales Library", 0),
    Folder("Best discovery calls", 0, "Sales Library", 0.04),
    Folder("Objection handling", 0, "Sales Library", 0.03),
    Folder("Great demos", 0, "Sales Library", 0.03),
    Folder("Pricing conversations", 0, "Objection handling", 0.02),
    Folder("Customer Success Library", 1),
    Folder("Renewals done right", 1, "Customer Success Library", 0.05),
    Folder("Onboarding kick-offs", 1, "Customer Success Library", 0.05),
)

#: A keyword tracker only the second workspace has (no call mentions it yet).
_RENEWAL_TRACKER = ("3850192746501928374", "Renewal", "KEYWORD", ("renewal", "contract end", "auto-renew"))

_BRIEFS = (
    ("8120394857610293841", "Account brief", 0, "Published", "Summary of the account before a call"),
    ("4409182736450192837", "Deal brief", 0, "Published", "Where the deal stands and what is missing"),
    ("6655019283746501928", "Pre-demo brief", 0, "Not published", "What the prospect cares about"),
    ("1203948576102938475", "Renewal brief", 1, "Published", "Usage, risks and stakeholders before renewal"),
)

#: Dialer outcomes that no call's content carries yet: ``(id, category, name)``.
_DIALER_OUTCOMES = (
    ("6102938475610293847", "Negative", "No answer"),
    ("4756102938475610292", "Negative", "Wrong number"),
)

_ROLES = ("Administrator", "Manager", "Sales Representative", "Viewer")
_ROLE_DESCRIPTIONS = (
    "Full access to every page and setting",
    "Sees and coaches the calls of the team reporting to them",
    "Sees own calls and the public library",
    "Read-only access to the public library",
)
_FEATURES = (
    "scoreCalls", "overrideScore", "downloadCallMedia", "shareCallsWithCustomers",
    "manuallyScheduleAndUploadCalls", "privateCalls", "deleteCalls", "trimCalls", "listenInCalls",
    "deleteEmails", "callsAndSearch", "library", "deals", "createEditAndDeleteDealsBoards",
    "dealsInlineEditing", "account", "coaching", "usage", "teamStats", "initiatives", "market", "activity",
    "forecast", "forecastManage", "engageManageCompanyTemplates", "engageManageCompanySequences",
    "engageCreateAndManageRulesets", "engageSnoozeFlowToDosForOthers", "engageAllowCrmFieldsViewChange",
    "viewEngageAnalyticsActivity", "viewEngageAnalyticsPerformance", "viewEngageAnalyticsFlows",
    "manageGeneralBusinessSettings", "manageScorecards", "exportCallsAndCoachingDataToCSV",
    "crmDataInlineEditing", "crmDataImport", "viewRevenueAnalytics", "manageRevenueAnalytics",
    "engageReassignFlowToDosToOthers", "engageAssignFlowToDosToOthers", "dealsDataExport", "aiBuilder",
    "orchestrateCreateAndManagePlays",
)  # fmt: skip
_MANAGER_FEATURES = frozenset(
    (
        "scoreCalls", "overrideScore", "downloadCallMedia", "shareCallsWithCustomers",
        "manuallyScheduleAndUploadCalls", "privateCalls", "trimCalls", "listenInCalls", "callsAndSearch",
        "library", "deals", "createEditAndDeleteDealsBoards", "dealsInlineEditing", "account", "coaching",
        "usage", "teamStats", "initiatives", "market", "activity", "forecast", "forecastManage",
        "engageSnoozeFlowToDosForOthers", "viewEngageAnalyticsActivity", "viewEngageAnalyticsPerformance",
        "exportCallsAndCoachingDataToCSV", "crmDataInlineEditing", "viewRevenueAnalytics",
        "engageReassignFlowToDosToOthers", "engageAssignFlowToDosToOthers", "dealsDataExport",
    )
)  # fmt: skip
_REP_FEATURES = frozenset(
    (
        "shareCallsWithCustomers", "manuallyScheduleAndUploadCalls", "privateCalls", "callsAndSearch",
        "library", "deals", "dealsInlineEditing", "account", "activity", "forecast",
        "crmDataInlineEditing",
    )
)  # fmt: skip
_VIEWER_FEATURES = frozenset(("library",))
#: Per role: calls / deals / coaching / insights / usage / emails access level, library level, features.
_ACCESS = (
    ("all", "all", _FEATURES),
    ("report-to-them", "specific-folders", _MANAGER_FEATURES),
    ("own", "all", _REP_FEATURES),
    ("none", "specific-folders", _VIEWER_FEATURES),
)


def _numeric_id(*parts: object) -> str:
    """A stable 19-digit id for a named piece of the company's settings."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return str(10**18 + int.from_bytes(digest, "big") % (9 * 10**18))


def _profile_id(workspace: int, role: int) -> str:
    return _numeric_id("permission-profile", WORKSPACES[workspace][0], _ROLES[role])


#: Every permission profile: id -> (workspace position, role position).
_PROFILES = {
    _profile_id(workspace, role): (workspace, role)
    for workspace in range(len(WORKSPACES))
    for role in range(len(_ROLES))
}


def workspace_query(request: Request, name: str = "workspaceId", *, required: bool = False) -> int | None:
    """The workspace named by a query parameter, as its position in :data:`WORKSPACES`.

    :param request: The request.
    :param name: The parameter.
    :param required: Whether it must be given (absent or blank: 400 naming it).
    :return: ``None`` when absent (and not required).
    :raises LookupError: For a well-formed id of no workspace (the caller answers 404).
    """
    value = request.query_value(name)
    if not value:
        if required:
            raise BadRequestError(f"Missing required query parameter {name}")
        return None
    workspace_id = gong_id(value, "workspace id")
    for position, (known, _, _) in enumerate(WORKSPACES):
        if known == workspace_id:
            return position
    raise LookupError(workspace_id)


@functools.lru_cache(maxsize=4)
def reports_of(directory: UserDirectory) -> Mapping[int, Sequence[int]]:
    """Who reports to whom: manager position -> positions of their direct reports (no avatars).

    :param directory: The company's users.
    """
    team: dict[int, list[int]] = {}
    for index in directory.select(include_avatars=False):
        manager_id = directory.user(index)["managerId"]
        manager = None if manager_id is None else directory.index_of(manager_id)
        if manager is not None:
            team.setdefault(manager, []).append(index)
    return team


def _role(directory: UserDirectory, index: int) -> int:
    if index == 0:
        return 0
    if index in reports_of(directory):
        return 1
    digest = hashlib.blake2b(f"{directory.seed}:role:{index}".encode(), digest_size=2).digest()
    return 3 if digest[0] < 26 else 2


def _profile_json(profile_id: str) -> dict[str, Any]:
    workspace, role = _PROFILES[profile_id]
    level, library_level, features = _ACCESS[role]
    folders = [
        folder.folder_id for folder in LIBRARY_FOLDERS if folder.workspace == workspace and folder.parent
    ]

    def access() -> dict[str, Any]:
        return {"permissionLevel": level, "teamLeadIds": []}

    manages = role <= 1
    profile: dict[str, Any] = {
        "id": profile_id,
        "name": f"{_ROLES[role]} ({WORKSPACES[workspace][1]})",
        "description": _ROLE_DESCRIPTIONS[role],
        "callsAccess": access(),
        "libraryFolderAccess": {
            "permissionLevel": library_level,
            "libraryFolderIds": folders if library_level == "specific-folders" else [],
            "managePublicFolder": role == 0,
            "manageStreams": manages,
            "manageFolderCalls": manages,
            "shareFoldersAndStreams": role != 3,
        },
        "dealsAccess": access(),
        "forecastPermissions": {
            "forecastAccess": access(),
            "forecastEditSubmissions": access(),
            "forecastEditTargets": {"permissionLevel": "all" if role == 0 else "none", "teamLeadIds": []},
        },
        "coachingAccess": access(),
        "insightsAccess": access(),
        "usageAccess": access(),
        "emailsAccess": access(),
    }
    profile.update((feature, feature in features) for feature in _FEATURES)
    return profile


def _profile_query(request: Request) -> str | None:
    value = request.query_value("profileId")
    if not value:
        raise BadRequestError("Missing required query parameter profileId")
    profile_id = gong_id(value, "permission profile id")
    return profile_id if profile_id in _PROFILES else None


def _workspace_filter(request: Request) -> tuple[int | None, Answer | None]:
    """The optional ``workspaceId`` of a settings list, or the 404 of an unknown one."""
    try:
        return workspace_query(request), None
    except LookupError:
        return None, not_found(MSG_WORKSPACE_NOT_FOUND, request.request_id)


# -- handlers ------------------------------------------------------------------------------------------------


def list_workspaces(request: Request) -> Answer:
    """``GET /v2/workspaces``: ``{"requestId", "workspaces": [{"id", "name", "description"}]}``."""
    workspaces = [{"id": id_, "name": name, "description": text} for id_, name, text in WORKSPACES]
    return record_answer(request.request_id, "workspaces", dumps(workspaces))


def list_trackers(request: Request) -> Answer:
    """``GET /v2/settings/trackers?workspaceId=``: the keyword trackers (of one workspace, or all)."""
    workspace, denied = _workspace_filter(request)
    if denied is not None:
        return denied
    trackers = [(tracker, 0) for tracker in TRACKERS if tracker[2] == "KEYWORD"] + [(_RENEWAL_TRACKER, 1)]
    answer = [
        _tracker_json(tracker, position, owner)
        for position, (tracker, owner) in enumerate(trackers)
        if workspace in (None, owner)
    ]
    return record_answer(request.request_id, "keywordTrackers", dumps(answer))


def _tracker_json(
    tracker: tuple[str, str, str, tuple[str, ...]], position: int, workspace: int
) -> dict[str, Any]:
    tracker_id, name, _, phrases = tracker
    built_in = position == 0
    created = _SETTINGS_CREATED + position * 9 * _DAY
    return {
        "trackerId": tracker_id,
        "trackerName": name,
        "workspaceId": WORKSPACES[workspace][0],
        "languageKeywords": [
            {"language": "eng", "keywords": list(phrases), "includeRelatedForms": position % 2 == 0},
            {"language": "mul", "keywords": [phrases[0]], "includeRelatedForms": False},
        ],
        "affiliation": ("Anyone", "NonCompany", "Company")[position % 3],
        "partOfQuestion": position == 1,
        "saidAt": "First" if position == 2 else "Anytime",
        "saidAtInterval": 10 if position == 2 else None,
        "saidAtUnit": "Minutes" if position == 2 else None,
        "saidInTopics": ["Pricing"] if position == 1 else [],
        "filterQuery": None if position != 1 else '{"search":{"type":"And","filters":[]}}',
        "created": format_gong_time(created),
        "creatorUserId": None if built_in else "234599484848423",
        "updated": format_gong_time(created + 30 * _DAY),
        "updaterUserId": None if built_in else "987",
    }


def list_scorecards(request: Request) -> Answer:
    """``GET /v2/settings/scorecards``: every scorecard of the company, disabled ones included."""
    return record_answer(request.request_id, "scorecards", dumps([card.to_json() for card in SCORECARDS]))


def list_briefs(request: Request) -> Answer:
    """``GET /v2/settings/briefs?workspaceId=``: the AI briefs (of one workspace, or all)."""
    workspace, denied = _workspace_filter(request)
    if denied is not None:
        return denied
    directory = request.state.directory
    briefs = []
    for position, (brief_id, name, owner, status, text) in enumerate(_BRIEFS):
        if workspace not in (None, owner):
            continue
        creator = directory.user(position % len(directory)) if len(directory) else None
        created = _SETTINGS_CREATED + (position + 3) * 11 * _DAY
        briefs.append(
            {
                "briefId": brief_id,
                "briefName": name,
                "workspaceId": WORKSPACES[owner][0],
                "description": text,
                "status": status,
                "creator": None if creator is None else f"{creator['firstName']} {creator['lastName']}",
                "creatorUserId": None if creator is None else creator["id"],
                "created": format_gong_time(created),
                "updated": format_gong_time(created + (position + 1) * 5 * _DAY),
            }
        )
    return record_answer(request.request_id, "briefs", dumps(briefs))


def list_call_outcomes(request: Request) -> Answer:
    """``GET /v2/call-outcomes``: the call outcomes of the dialer, in display order."""
    outcomes = []
    for position, (_, category, name) in enumerate((*OUTCOMES, *_DIALER_OUTCOMES)):
        connected = name not in ("Left voicemail", "No answer", "Wrong number")
        outcomes.append(
            {
                "callOutcome": name,
                "displayOrder": position + 1,
                "connectStatus": "CONNECTED" if connected else "NOT_CONNECTED",
                "sentiment": category.upper(),
                "todoAction": "COMPLETE_AND_REMOVE"
                if name in ("Not interested", "Wrong number")
                else "COMPLETE",
                "automation": "MARK_AS_OPT_OUT" if name == "Not interested" else None,
                "category": "ANSWERED" if connected else "NOT_ANSWERED",
            }
        )
    return record_answer(request.request_id, "outcomes", dumps(outcomes))


def list_permission_profile(request: Request) -> Answer:
    """``GET /v2/all-permission-profiles?workspaceId=``: the workspace's profiles, by name."""
    try:
        workspace = workspace_query(request, required=True)
    except LookupError:
        return not_found(MSG_WORKSPACE_NOT_FOUND, request.request_id)
    profiles = [
        _profile_json(profile_id) for profile_id, (owner, _) in _PROFILES.items() if owner == workspace
    ]
    profiles.sort(key=lambda profile: profile["name"])
    return record_answer(request.request_id, "profiles", dumps(profiles))


def get_permission_profile(request: Request) -> Answer:
    """``GET /v2/permission-profile?profileId=``: ``{"requestId", "profile"}``."""
    profile_id = _profile_query(request)
    if profile_id is None:
        return not_found(MSG_PROFILE_NOT_FOUND, request.request_id)
    return record_answer(request.request_id, "profile", dumps(_profile_json(profile_id)))


def list_permission_profile_users(request: Request) -> Answer:
    """``GET /v2/permission-profile/users?profileId=``: the users the profile controls."""
    profile_id = _profile_query(request)
    if profile_id is None:
        return not_found(MSG_PROFILE_NOT_FOUND, request.request_id)
    _, role = _PROFILES[profile_id]
    directory = request.state.directory
    users = []
    for index in directory.select(include_avatars=False):
        if _role(directory, index) == role:
            user = directory.user(index)
            users.append(
                {
                    "id": user["id"],
                    "fullName": f"{user['firstName']} {user['lastName']}",
                    "emailAddress": user["emailAddress"],
                }
            )
    return record_answer(request.request_id, "users", dumps(users))
