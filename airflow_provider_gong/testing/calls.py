"""Deterministic synthetic Gong calls, with late processing on the emulator's clock.

A :class:`CallCatalog` holds the calls of one emulated Gong company. Only compact arrays are kept in memory
for every call (id, start, duration, workspace, host, and when it is listed, transcribed and analysed); the
full records (``CallBasicData``, the sections of ``CallData``, ``CallTranscript``) are rebuilt on demand
from ``(seed, call id)``, so 100,000 calls build in about a second.

Calls are kept in the emulator's own stable order: ascending start time, ties by id, which is also the
order every list endpoint returns them in. Their starts are spread unevenly over the days of the span:
weekdays busy or quiet, weekends quieter, a few days almost empty.

Late processing: a call is served only from its ``visible_at`` on, its transcript only from its
``transcript_at`` on, and until its ``content_at`` the detailed content (content sections, interaction
statistics, question counts) is in Gong's "not yet processed" state. A normal call reaches all three within
``processing_delay`` seconds of its end; a late one (``late_share`` of them) is listed late, or is listed
in time but its transcript, its content or both complete late, within ``late_delay`` of its end.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import random
from array import array
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from airflow_provider_gong.testing.users import UserDirectory, format_gong_time

__all__ = [
    "COLLABORATION_FIELDS",
    "CONTENT_FIELDS",
    "CONTEXT_LEVELS",
    "CONTEXT_TIMINGS",
    "DEFAULT_LATE_DELAY",
    "DEFAULT_LATE_SHARE",
    "DEFAULT_PROCESSING_DELAY",
    "EXPOSED_FIELDS",
    "INTERACTION_FIELDS",
    "MEDIA_HOST",
    "MEDIA_URL_TTL",
    "OUTCOMES",
    "TRACKERS",
    "WORKSPACE_IDS",
    "CallCatalog",
    "ContentSelector",
]

#: The company's two workspaces; about 80 % of the calls belong to the first.
WORKSPACE_IDS = ("5584236972845169821", "2944718263649572013")
#: Share of calls in the first workspace of :data:`WORKSPACE_IDS`.
_FIRST_WORKSPACE_SHARE = 0.8

#: Default ``processing_delay``: a normal call is complete within an hour of its end.
DEFAULT_PROCESSING_DELAY = 3600.0
#: Default ``late_share``: 15 % of the calls are late.
DEFAULT_LATE_SHARE = 0.15
#: Default ``late_delay``: a late call is complete within 3 days of its end.
DEFAULT_LATE_DELAY = 259_200.0

#: Where the (fake) media files are served; their URLs carry an ``expires`` epoch.
MEDIA_HOST = "https://media.emulated-gong.example.com"
#: Seconds a media URL stays valid after it is handed out (Gong: 8 hours).
MEDIA_URL_TTL = 8 * 3600

#: ``contentSelector.context`` values; ``"None"`` (the default) adds no context.
CONTEXT_LEVELS = ("None", "Basic", "Extended")
#: ``contentSelector.contextTiming`` values (default ``["Now"]``; only with ``"Extended"``).
CONTEXT_TIMINGS = ("Now", "TimeOfCall")
#: The flags of ``contentSelector.exposedFields.content``.
CONTENT_FIELDS = (
    "structure",
    "topics",
    "trackers",
    "trackerOccurrences",
    "pointsOfInterest",
    "brief",
    "outline",
    "highlights",
    "callOutcome",
    "keyPoints",
)
#: The flags of ``contentSelector.exposedFields.interaction``.
INTERACTION_FIELDS = ("speakers", "video", "personInteractionStats", "questions")
#: The flags of ``contentSelector.exposedFields.collaboration``.
COLLABORATION_FIELDS = ("publicComments",)
#: The keys of ``contentSelector.exposedFields``: booleans, or objects of the flags above.
EXPOSED_FIELDS = ("parties", "content", "interaction", "collaboration", "media")

_DAY = 86_400
#: The content sections before the call's content is processed.
_UNPROCESSED_CONTENT: dict[str, Any] = {
    "structure": [],
    "topics": [],
    "trackers": [],
    "pointsOfInterest": None,
    "brief": None,
    "outline": [],
    "highlights": [],
    "callOutcome": None,
    "keyPoints": [],
}
_LATE_KINDS = ("listed", "transcript", "content", "both")

_CONFERENCE_SYSTEMS = ("Zoom", "Microsoft Teams", "Google Meet", "Webex")
_TELEPHONY_SYSTEMS = ("Outreach", "Aircall", "RingCentral", "Salesloft", "Dialpad")
_MEETING_URLS = {
    "Zoom": "https://zoom.us/j/{}",
    "Microsoft Teams": "https://teams.microsoft.com/l/meetup-join/{}",
    "Google Meet": "https://meet.google.com/{}",
    "Webex": "https://emulated.webex.com/meet/{}",
}
_LANGUAGES = ("eng",) * 17 + ("fre", "ger", "spa", "ita", "und", "zxx")
_SDR_DISPOSITIONS = ("Connected", "Left voicemail", "No answer", "Got the gatekeeper", "Wrong number")
_PURPOSES = ("Discovery Call", "Demo Call", "Pricing Discussion", "Quarterly Business Review", "Onboarding")
_MEETING_KINDS = ("Intro", "Discovery", "Demo", "Pricing", "Technical deep dive", "Negotiation", "QBR")
_INTERNAL_TITLES = ("Pipeline review", "Deal review", "1:1", "Forecast call", "Team sync", "Call coaching")
_COMPANIES = (
    ("Acme Corp", "acme.example"),
    ("Globex", "globex.example"),
    ("Initech", "initech.example"),
    ("Umbrella Health", "umbrella-health.example"),
    ("Stark Logistics", "stark-logistics.example"),
    ("Wayne Analytics", "wayne-analytics.example"),
    ("Hooli", "hooli.example"),
    ("Vandelay Imports", "vandelay.example"),
    ("Cyberdyne Systems", "cyberdyne.example"),
    ("Wonka Industries", "wonka.example"),
    ("Müller & Söhne GmbH", "mueller-soehne.example"),
    ("Compañía Andina", "andina.example"),
    ("Nakatomi Trading", "nakatomi.example"),
)
_FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Mia", "Lucas", "Amara", "Mateo", "Chloé", "Søren",
    "Hana", "Ravi", "Ifeoma", "Giulia", "Jonas", "Leilani", "Omar", "Zofia", "Thabo", "Ines", "Kenji",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "García", "Kim", "Nguyen", "Rossi", "Schmidt", "Dubois", "Kowalski",
    "Okoye", "Sato", "Fernández", "Haddad", "O'Connor", "Lindqvist", "Mbeki", "Petrov", "Silva",
)  # fmt: skip
_EXTERNAL_TITLES = (
    "VP Operations", "Head of Procurement", "IT Director", "CFO", "Sales Operations Manager",
    "Director of Engineering", "Chief of Staff", "Purchasing Manager", "CTO",
)  # fmt: skip
_AGENDA = ("Introduction", "Discovery", "Demo", "Pricing", "Q&A", "Next Steps")
_TOPICS = ("Small Talk", "Pricing", "Product Demo", "Competition", "Security", "Integrations", "Next Steps")
#: Trackers of the company: (id, name, type, phrases of a keyword tracker).
TRACKERS = (
    ("4312987746120947311", "Competitors", "KEYWORD", ("Globex", "Initech", "Hooli")),
    ("8034459210377164025", "Pricing", "KEYWORD", ("price", "discount", "budget")),
    ("2750193847562019384", "Security", "KEYWORD", ("SOC 2", "SSO", "GDPR")),
    ("6619283740192837465", "Next Steps", "SMART", ()),
    ("1928374650192837461", "Objections", "SMART", ()),
)
#: Call outcomes of the company: (id, category, name).
OUTCOMES = (
    ("7412389561230984512", "Positive", "Next meeting scheduled"),
    ("2390847561209384756", "Positive", "Demo requested"),
    ("5610293847561029384", "Neutral", "Follow-up needed"),
    ("8849302716354829103", "Negative", "Not interested"),
    ("3394857261039485721", "Neutral", "Left voicemail"),
)
_HIGHLIGHT_TITLES = ("Next steps", "Pain points", "Action items", "Key decisions")
_VIDEO_SEGMENTS = ("Browser", "Presentation", "WebcamPrimaryUser", "WebcamNonCompany", "Webcam")
_INTERACTION_STATS = (
    "Talk Ratio",
    "Longest Monologue",
    "Longest Customer Story",
    "Interactivity",
    "Patience",
)
_STAGES = ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won")
_INDUSTRIES = ("Manufacturing", "Healthcare", "Logistics", "Retail", "Software", "Financial Services")
_SENTENCES = (
    "Thanks everyone for joining today.",
    "Could you walk me through how your team handles this right now?",
    "We looked at a tool like this last quarter, but the timing was not right.",
    "How many people at {company} would use it every day?",
    "Pricing depends on the number of seats and the contract length.",
    "Security review usually takes our IT team about two weeks.",
    "Let me share my screen and show you the dashboard.",
    "That makes sense, and it matches what we heard from other teams.",
    "What would a successful pilot look like for you?",
    "I will send over the proposal by the end of the week.",
    "Does the integration work with our existing CRM?",
    "Our budget for this year is mostly allocated already.",
    "Can we loop in our procurement team for the next call?",
    "Great, let's schedule a follow-up for next Tuesday.",
    "The main problem is that forecasts are built on gut feeling.",
    "Sorry, you cut out for a second there.",
)
_KEY_POINTS = (
    "{company} wants to shorten its onboarding time.",
    "The buying committee includes IT and finance.",
    "A pilot with one team was proposed for next month.",
    "Budget is approved for the second half of the year.",
    "The current tool lacks reporting the managers need.",
    "Security questionnaire to be sent before the next meeting.",
)
_COMMENTS = (
    "Great discovery questions here.",
    "Listen to how the objection was handled.",
    "@[Manager](team) worth sharing with the team.",
    "We should follow up on this pricing question.",
    "Nice demo flow.",
)


@dataclasses.dataclass(frozen=True)
class ContentSelector:
    """What ``POST /v2/calls/extensive`` adds to each call's ``metaData`` (its ``contentSelector``).

    :param context: ``"None"``, ``"Basic"`` (links to external systems) or ``"Extended"`` (their fields too).
    :param context_timing: ``"Now"`` and/or ``"TimeOfCall"`` (meaningful with ``"Extended"``).
    :param parties: Add the participants.
    :param content: The true flags of :data:`CONTENT_FIELDS`.
    :param interaction: The true flags of :data:`INTERACTION_FIELDS`.
    :param collaboration: The true flags of :data:`COLLABORATION_FIELDS`.
    :param media: Add the audio and video URLs.
    """

    context: str = "None"
    context_timing: tuple[str, ...] = ("Now",)
    parties: bool = False
    content: frozenset[str] = frozenset()
    interaction: frozenset[str] = frozenset()
    collaboration: frozenset[str] = frozenset()
    media: bool = False

    def canonical(self) -> list[Any]:
        """A canonical JSON-ready form, for cursor fingerprints."""
        return [
            self.context,
            list(self.context_timing),
            self.parties,
            sorted(self.content),
            sorted(self.interaction),
            sorted(self.collaboration),
            self.media,
        ]


#: A link to an external system: (system, object type, object id, fields as (name, now, at time of call)).
_Link = tuple[str, str, str, list[tuple[str, Any, Any]]]


@dataclasses.dataclass(frozen=True)
class _Details:
    """The parts of one call that several sections share (built once, cached)."""

    meta: dict[str, Any]
    parties: list[dict[str, Any]]
    links: list[list[_Link]]
    company: str
    company_domain: str


class CallCatalog:
    """All calls of one emulated Gong company, deterministic from its inputs.

    :param count: Number of calls (none when ``directory`` has no non-avatar user to host them).
    :param seed: Seed of the data; the same seed gives the same calls.
    :param directory: The company's users: the non-avatar ones host the calls and join them.
    :param start: Earliest call start, UTC epoch seconds (inclusive).
    :param end: Latest call start, UTC epoch seconds (exclusive).
    :param processing_delay: Seconds after its end within which a normal call is listed and complete.
    :param late_share: Share (0..1) of late calls, rounded to a whole number of calls.
    :param late_delay: Seconds after its end within which a late call is listed and complete
        (``>= processing_delay``).
    """

    def __init__(
        self,
        count: int,
        seed: int,
        directory: UserDirectory,
        start: float,
        end: float,
        *,
        processing_delay: float = DEFAULT_PROCESSING_DELAY,
        late_share: float = DEFAULT_LATE_SHARE,
        late_delay: float = DEFAULT_LATE_DELAY,
    ) -> None:
        if count < 0:
            raise ValueError("count must be >= 0")
        if not start < end:
            raise ValueError("start must be before end")
        if not 0.0 <= late_share <= 1.0:
            raise ValueError("late_share must be within 0..1")
        if not 0.0 <= processing_delay <= late_delay:
            raise ValueError("delays must satisfy 0 <= processing_delay <= late_delay")
        self.seed = seed
        self.start = start
        self.end = end
        self.processing_delay = processing_delay
        self.late_share = late_share
        self.late_delay = late_delay
        self._directory = directory
        self._requested = count
        self._hosts = directory.select(include_avatars=False)
        first, stop = math.ceil(start), math.ceil(end)
        self.count = count if self._hosts and stop > first else 0

        rng = random.Random(f"gong-emulator-calls:{seed}")
        generated = self._generate(rng, first, stop)
        order = sorted(range(self.count), key=lambda index: (generated[0][index], generated[1][index]))
        self._started = array("q", (generated[0][index] for index in order))
        self._ids = array("q", (generated[1][index] for index in order))
        self._duration = array("q", (generated[2][index] for index in order))
        self._workspace = array("B", (generated[3][index] for index in order))
        self._host = array("q", (generated[4][index] for index in order))
        by_id = sorted(range(self.count), key=self._ids.__getitem__)
        self._sorted_ids = array("q", (self._ids[index] for index in by_id))
        self._sorted_positions = array("q", by_id)
        self._pools = [
            array("q", (index for index in range(self.count) if self._workspace[index] == workspace))
            for workspace in range(len(WORKSPACE_IDS))
        ]
        self._pool_started = [array("q", (self._started[index] for index in pool)) for pool in self._pools]
        self._visible_at, self._transcript_at, self._content_at = self._schedule()
        self._max_lag = max(
            (
                max(self._transcript_at[index], self._content_at[index]) - self._started[index]
                for index in range(self.count)
            ),
            default=0,
        )
        self._details = functools.lru_cache(maxsize=4096)(self._build_details)
        self._basic_json = functools.lru_cache(maxsize=16384)(self._render_basic_json)
        self._transcript_json = functools.lru_cache(maxsize=4096)(self._render_transcript_json)

    # -- generation ----------------------------------------------------------------------------------------

    def _generate(
        self, rng: random.Random, first: int, stop: int
    ) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        """Draw starts, ids, durations, workspaces and hosts, in generation order."""
        segments: list[tuple[int, int]] = []
        weights: list[float] = []
        total = 0.0
        for day in range(first // _DAY, (stop - 1) // _DAY + 1):
            low, high = max(first, day * _DAY), min(stop, (day + 1) * _DAY)
            if (day + 3) % 7 >= 5:  # Saturday, Sunday (1970-01-01 was a Thursday)
                weight = rng.uniform(0.05, 0.3)
            elif rng.random() < 0.05:  # a holiday
                weight = 0.02
            else:
                weight = rng.uniform(0.4, 1.7)
            total += weight * (high - low) / _DAY
            segments.append((low, high))
            weights.append(total)
        days = rng.choices(segments, cum_weights=weights, k=self.count) if self.count else []

        starts: list[int] = []
        ids: list[int] = []
        durations: list[int] = []
        workspaces: list[int] = []
        hosts: list[int] = []
        seen: set[int] = set()
        host_pool = self._hosts
        for low, high in days:
            # Mostly business hours of the US-Pacific company (~13:00-23:00 UTC), some at any time.
            share = rng.random() if rng.random() < 0.3 else rng.triangular(0.45, 0.97, 0.7)
            moment = low - low % _DAY + int(share * _DAY)
            if not low <= moment < high:
                moment = low + int(rng.random() * (high - low))
            starts.append(moment)
            call_id = rng.randrange(10**18, 2**63)
            while call_id in seen:
                call_id = rng.randrange(10**18, 2**63)
            seen.add(call_id)
            ids.append(call_id)
            durations.append(int(min(7200.0, max(45.0, rng.lognormvariate(7.2, 0.75)))))
            workspaces.append(0 if rng.random() < _FIRST_WORKSPACE_SHARE else 1)
            hosts.append(host_pool[int(len(host_pool) * rng.random() ** 1.7)])
        return starts, ids, durations, workspaces, hosts

    def _schedule(self) -> tuple[array[int], array[int], array[int]]:
        """Draw when each call is listed, transcribed and analysed (late calls from their own stream)."""
        rng = random.Random(f"gong-emulator-calls-late:{self.seed}")
        late_count = min(self.count, round(self.count * self.late_share))
        kinds: dict[int, str] = {
            index: _LATE_KINDS[position % len(_LATE_KINDS)]
            for position, index in enumerate(rng.sample(range(self.count), late_count))
        }
        normal, late = self.processing_delay, self.late_delay
        visible_at, transcript_at, content_at = array("q"), array("q"), array("q")
        for index in range(self.count):
            ended = self._started[index] + self._duration[index]
            kind = kinds.get(index)
            if kind == "listed":
                visible = int(ended + normal + rng.random() * (late - normal))
                deadline = ended + late
            else:
                visible = ended + int(rng.random() * normal / 2)
                deadline = ended + normal
            transcript = visible + int(rng.random() * (deadline - visible))
            content = visible + int(rng.random() * (deadline - visible))
            if kind in ("transcript", "both"):
                transcript = int(ended + normal + rng.random() * (late - normal))
            if kind in ("content", "both"):
                content = int(ended + normal + rng.random() * (late - normal))
            visible_at.append(visible)
            transcript_at.append(transcript)
            content_at.append(content)
        return visible_at, transcript_at, content_at

    # -- identity ------------------------------------------------------------------------------------------

    @property
    def key(self) -> tuple[Any, ...]:
        """The inputs this catalog was built from (the directory's own key included)."""
        return (
            self._requested,
            self.seed,
            self.start,
            self.end,
            self.processing_delay,
            self.late_share,
            self.late_delay,
            self._directory.key,
        )

    def __len__(self) -> int:
        return self.count

    @property
    def ids(self) -> list[str]:
        """Every call id, in the emulator's order (start ascending, ties by id)."""
        return [str(call_id) for call_id in self._ids]

    def call_id(self, index: int) -> str:
        """Return the id of the call at ``index``.

        :param index: Position of the call in the emulator's order.
        """
        return str(self._ids[index])

    def index_of(self, call_id: str) -> int | None:
        """Return the position of a call in the emulator's order, or ``None`` if there is no such call.

        :param call_id: A Gong call id (digits).
        """
        if not (call_id.isascii() and call_id.isdigit()):
            return None
        number = int(call_id)
        position = bisect.bisect_left(self._sorted_ids, number)
        if position == len(self._sorted_ids) or self._sorted_ids[position] != number:
            return None
        if str(number) != call_id:  # leading zeros name no call
            return None
        return self._sorted_positions[position]

    def started_epoch(self, index: int) -> int:
        """Return the start of the call at ``index`` in UTC epoch seconds.

        :param index: Position of the call in the emulator's order.
        """
        return self._started[index]

    def workspace_id(self, index: int) -> str:
        """Return the workspace id of the call at ``index``.

        :param index: Position of the call in the emulator's order.
        """
        return WORKSPACE_IDS[self._workspace[index]]

    def primary_user_id(self, index: int) -> str:
        """Return the id of the user who hosted the call at ``index``.

        :param index: Position of the call in the emulator's order.
        """
        return self._directory.ids[self._host[index]]

    def visible_at(self, index: int) -> int:
        """Return when the call at ``index`` is first served (UTC epoch seconds).

        :param index: Position of the call in the emulator's order.
        """
        return self._visible_at[index]

    def transcript_at(self, index: int) -> int:
        """Return when the transcript of the call at ``index`` is first served (UTC epoch seconds).

        :param index: Position of the call in the emulator's order.
        """
        return self._transcript_at[index]

    def content_at(self, index: int) -> int:
        """Return when the detailed content of the call at ``index`` is complete (UTC epoch seconds).

        :param index: Position of the call in the emulator's order.
        """
        return self._content_at[index]

    def is_visible(self, index: int, now: float) -> bool:
        """Tell whether the call at ``index`` is served at ``now``.

        :param index: Position of the call in the emulator's order.
        :param now: The emulator's clock, UTC epoch seconds.
        """
        return self._visible_at[index] <= now

    # -- selection -----------------------------------------------------------------------------------------

    def select(
        self,
        now: float,
        *,
        started_from: float | None = None,
        started_to: float | None = None,
        workspace_id: str | None = None,
        call_ids: Iterable[str] | None = None,
        primary_user_ids: Collection[str] | None = None,
        transcript: bool = False,
    ) -> Sequence[int]:
        """Return the positions of the matching calls served at ``now``, in the emulator's order.

        Every given filter must hold (AND).

        :param now: The emulator's clock, UTC epoch seconds: only calls visible then are kept.
        :param started_from: Keep calls started at or after this UTC epoch time (inclusive).
        :param started_to: Keep calls started strictly before this UTC epoch time (exclusive).
        :param workspace_id: Keep the calls of this workspace.
        :param call_ids: Keep these calls (unknown ids are ignored).
        :param primary_user_ids: Keep the calls hosted by these users.
        :param transcript: Keep only calls whose transcript is served at ``now``.
        """
        low = float("-inf") if started_from is None else started_from
        high = float("inf") if started_to is None else started_to
        workspace: int | None = None
        if workspace_id is not None:
            if workspace_id not in WORKSPACE_IDS:
                return []
            workspace = WORKSPACE_IDS.index(workspace_id)
        candidates: Sequence[int]
        if call_ids is not None:
            found = {index for index in map(self.index_of, call_ids) if index is not None}
            candidates = [
                index
                for index in sorted(found)
                if low <= self._started[index] < high
                and (workspace is None or self._workspace[index] == workspace)
            ]
        else:
            pool: Sequence[int] = range(self.count) if workspace is None else self._pools[workspace]
            starts = self._started if workspace is None else self._pool_started[workspace]
            first = 0 if started_from is None else bisect.bisect_left(starts, started_from)
            stop = len(starts) if started_to is None else bisect.bisect_left(starts, started_to)
            candidates = pool[first:stop] if first < stop else []
        if primary_user_ids is not None:
            directory = self._directory
            hosts = {directory.index_of(user_id) for user_id in primary_user_ids}
            candidates = [index for index in candidates if self._host[index] in hosts]
        # Calls that started long enough ago are complete: only the recent ones need a look.
        settled = bisect.bisect_right(candidates, now - self._max_lag, key=self._started.__getitem__)
        ready = self._transcript_at if transcript else self._visible_at
        kept = list(candidates[:settled])
        kept.extend(
            index for index in candidates[settled:] if ready[index] <= now and self._visible_at[index] <= now
        )
        return kept

    # -- rendering: shared parts ---------------------------------------------------------------------------

    def _rng(self, index: int, purpose: str) -> random.Random:
        return random.Random(f"gong-emulator-call:{self.seed}:{self._ids[index]}:{purpose}")

    def _build_details(self, index: int) -> _Details:
        rng = self._rng(index, "call")
        call_id = str(self._ids[index])
        started = self._started[index]
        directory = self._directory
        host = directory.user(self._host[index])
        company, domain = rng.choice(_COMPANIES)
        conference = rng.random() < 0.7
        internal_only = conference and rng.random() < 0.12

        parties: list[dict[str, Any]] = []
        links: list[list[_Link]] = []
        members = [host]
        if conference:
            for _ in range(rng.choice((0, 0, 1, 1, 2)) + internal_only):  # internal: 2+ colleagues
                other = directory.user(self._hosts[rng.randrange(len(self._hosts))])
                if all(other["id"] != member["id"] for member in members):
                    members.append(other)
        for position, member in enumerate(members):
            spoke = position == 0 or rng.random() < 0.7
            parties.append(
                {
                    "id": str(rng.randrange(10**13, 10**19)),
                    "emailAddress": member["emailAddress"],
                    "name": f"{member['firstName']} {member['lastName']}",
                    "title": member["title"],
                    "userId": member["id"],
                    "speakerId": str(rng.randrange(10**15, 10**19)) if spoke else None,
                    "context": [],
                    "affiliation": "Internal",
                    "phoneNumber": member["phoneNumber"],
                    "methods": (["Invitee", "Attendee"] if spoke else ["Invitee"]) if conference else [],
                }
            )
            links.append(
                [
                    (
                        "Salesforce",
                        "User",
                        _salesforce_id(rng, "005"),
                        [("Email", member["emailAddress"], None)],
                    )
                ]
                if rng.random() < 0.2
                else []
            )
        external_count = 0 if internal_only else (rng.randint(1, 4) if conference else 1)
        for position in range(external_count):
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            email = None if rng.random() < 0.1 else f"{_ascii(first)}.{_ascii(last)}@{domain}"
            title = rng.choice(_EXTERNAL_TITLES) if rng.random() < 0.5 else None
            phone = f"+1 212-555-{rng.randrange(10000):04d}" if not conference or rng.random() < 0.3 else None
            spoke = position == 0 or rng.random() < 0.6
            methods = ["Invitee", "Attendee"] if rng.random() < 0.8 else ["Attendee"]
            parties.append(
                {
                    "id": str(rng.randrange(10**13, 10**19)),
                    "emailAddress": email,
                    "name": f"{first} {last}",
                    "title": title,
                    "userId": None,
                    "speakerId": str(rng.randrange(10**15, 10**19)) if spoke else None,
                    "context": [],
                    "affiliation": "External",
                    "phoneNumber": phone,
                    "methods": methods if conference else [],
                }
            )
            party_links: list[_Link] = []
            if rng.random() < 0.6:
                kind, prefix = ("Contact", "003") if rng.random() < 0.7 else ("Lead", "00Q")
                fields: list[tuple[str, Any, Any]] = [
                    ("Name", f"{first} {last}", None),
                    ("Title", title, None),
                ]
                party_links.append(("Salesforce", kind, _salesforce_id(rng, prefix), fields))
            links.append(party_links)
        unknown = conference and not internal_only and rng.random() < 0.05
        if unknown:
            parties.append(
                {
                    "id": str(rng.randrange(10**13, 10**19)),
                    "emailAddress": None,
                    "name": f"Dial-in user {rng.randrange(100, 999)}",
                    "title": None,
                    "userId": None,
                    "speakerId": None,
                    "context": [],
                    "affiliation": "Unknown",
                    "phoneNumber": f"+1 646-555-{rng.randrange(10000):04d}",
                    "methods": ["Attendee"],
                }
            )
            links.append([])
        scope = "Internal" if internal_only else "External"
        if rng.random() < 0.03:
            scope = "Unknown"

        if conference:
            system = rng.choice(_CONFERENCE_SYSTEMS)
            direction = "Conference"
            media = "Video" if rng.random() < 0.85 else "Audio"
            scheduled = started - started % 900 if rng.random() < 0.9 else started + 900 - started % 900
            meeting_url = (
                _MEETING_URLS[system].format(rng.randrange(10**9, 10**11)) if rng.random() < 0.6 else None
            )
            calendar_event_id = f"{rng.getrandbits(80):020x}@google.com" if rng.random() < 0.5 else None
            client_unique_id = None
            sdr_disposition = None
            title_text = (
                rng.choice(_INTERNAL_TITLES)
                if internal_only
                else f"{company} <> Emulated Company | {rng.choice(_MEETING_KINDS)}"
            )
        else:
            system = rng.choice(_TELEPHONY_SYSTEMS)
            direction = (
                "Outbound" if rng.random() < 0.65 else ("Inbound" if rng.random() < 0.9 else "Unknown")
            )
            media = "Audio"
            scheduled = started
            meeting_url = None
            calendar_event_id = None
            client_unique_id = _alphanumeric(rng, 19) if rng.random() < 0.7 else None
            sdr_disposition = (
                rng.choice(_SDR_DISPOSITIONS) if direction == "Outbound" and rng.random() < 0.5 else None
            )
            title_text = f"{direction} call with {parties[-1]['name']} ({company})"

        meta = {
            "id": call_id,
            "url": f"https://app.gong.io/call?id={call_id}",
            "title": title_text,
            "scheduled": format_gong_time(scheduled),
            "started": format_gong_time(started),
            "duration": self._duration[index],
            "primaryUserId": host["id"],
            "direction": direction,
            "system": system,
            "scope": scope,
            "media": media,
            "language": rng.choice(_LANGUAGES),
            "workspaceId": WORKSPACE_IDS[self._workspace[index]],
            "sdrDisposition": sdr_disposition,
            "clientUniqueId": client_unique_id,
            "customData": f"crm-sync:{rng.randrange(10**6)}" if rng.random() < 0.05 else None,
            "purpose": rng.choice(_PURPOSES) if not internal_only and rng.random() < 0.2 else None,
            "meetingUrl": meeting_url,
            "isPrivate": rng.random() < 0.04,
            "calendarEventId": calendar_event_id,
        }
        return _Details(meta, parties, links, company, domain)

    def _speakers(self, details: _Details) -> list[dict[str, Any]]:
        return [party for party in details.parties if party["speakerId"] is not None]

    # -- rendering: records --------------------------------------------------------------------------------

    def basic(self, index: int) -> dict[str, Any]:
        """Build the ``CallBasicData`` object of the call at ``index`` (a fresh dict every call).

        :param index: Position of the call in the emulator's order.
        """
        result: dict[str, Any] = json.loads(self._basic_json(index))
        return result

    def basic_json(self, index: int) -> bytes:
        """Return the ``CallBasicData`` object at ``index`` as compact UTF-8 JSON (cached).

        :param index: Position of the call in the emulator's order.
        """
        return self._basic_json(index)

    def _render_basic_json(self, index: int) -> bytes:
        return _dumps(self._details(index).meta)

    def extensive(self, index: int, selector: ContentSelector, now: float) -> dict[str, Any]:
        """Build the ``CallData`` object of the call at ``index``: ``metaData`` plus the selected sections.

        :param index: Position of the call in the emulator's order.
        :param selector: The sections to add.
        :param now: The emulator's clock, UTC epoch seconds: before the call's ``content_at`` its detailed
            content is in the "not yet processed" state; media URLs expire :data:`MEDIA_URL_TTL` later.
        """
        result: dict[str, Any] = json.loads(self.extensive_json(index, selector, now))
        return result

    def extensive_json(self, index: int, selector: ContentSelector, now: float) -> bytes:
        """Return :meth:`extensive` as compact UTF-8 JSON.

        :param index: Position of the call in the emulator's order.
        :param selector: The sections to add.
        :param now: The emulator's clock, UTC epoch seconds.
        """
        details = self._details(index)
        record: dict[str, Any] = {"metaData": details.meta}
        if selector.context != "None":
            record["context"] = self._context(index, details, selector)
        if selector.parties:
            record["parties"] = [
                dict(party, context=_links_json(links, selector))
                for party, links in zip(details.parties, details.links, strict=True)
            ]
        processed = now >= self._content_at[index]
        content = self._content(index, details, selector.content, processed)
        if content:
            record["content"] = content
        interaction = self._interaction(index, details, selector.interaction, processed)
        if interaction:
            record["interaction"] = interaction
        if "publicComments" in selector.collaboration:
            record["collaboration"] = {"publicComments": self._comments(index, details)}
        if selector.media:
            record["media"] = self._media(index, details, now)
        return _dumps(record)

    def transcript(self, index: int) -> dict[str, Any]:
        """Build the ``CallTranscript`` of the call at ``index`` (a fresh dict every call).

        :param index: Position of the call in the emulator's order.
        """
        result: dict[str, Any] = json.loads(self._transcript_json(index))
        return result

    def transcript_json(self, index: int) -> bytes:
        """Return the ``CallTranscript`` at ``index`` as compact UTF-8 JSON (cached).

        :param index: Position of the call in the emulator's order.
        """
        return self._transcript_json(index)

    def truth(self, index: int) -> dict[str, Any]:
        """Return the ground truth of the call at ``index``: its id, start, workspace, host and schedule.

        :param index: Position of the call in the emulator's order.
        """
        return {
            "id": str(self._ids[index]),
            "started": format_gong_time(self._started[index]),
            "workspaceId": WORKSPACE_IDS[self._workspace[index]],
            "primaryUserId": self.primary_user_id(index),
            "visibleAt": format_gong_time(self._visible_at[index]),
            "transcriptAt": format_gong_time(self._transcript_at[index]),
            "contentAt": format_gong_time(self._content_at[index]),
        }

    # -- rendering: sections -------------------------------------------------------------------------------

    def _context(self, index: int, details: _Details, selector: ContentSelector) -> list[dict[str, Any]]:
        if details.meta["scope"] == "Internal":
            return []
        rng = self._rng(index, "context")
        if rng.random() < 0.3:
            return []
        stage = rng.randrange(len(_STAGES) - 1)
        amount = rng.randrange(5, 500) * 1000
        close = format_gong_time(self._started[index] + rng.randrange(7, 120) * _DAY)[:10]
        opportunity = [
            ("Name", f"{details.company} - {rng.choice(_PURPOSES).split()[0]} deal", None),
            ("StageName", _STAGES[stage + 1], _STAGES[stage]),
            ("Amount", amount, amount - rng.randrange(0, 4) * 1000),
            ("CloseDate", close, None),
        ]
        account = [
            ("Name", details.company, None),
            ("Website", f"https://www.{details.company_domain}", None),
            ("Industry", rng.choice(_INDUSTRIES), None),
        ]
        objects: list[_Link] = [
            ("Salesforce", "Opportunity", _salesforce_id(rng, "006"), opportunity),
            ("Salesforce", "Account", _salesforce_id(rng, "001"), account),
        ]
        return _links_json(objects, selector)

    def _content(
        self, index: int, details: _Details, fields: frozenset[str], processed: bool
    ) -> dict[str, Any]:
        duration = self._duration[index]
        company = details.company
        agenda_rng = self._rng(index, "agenda")
        parts = _split(agenda_rng, duration, agenda_rng.randint(2, 5))
        agenda = agenda_rng.sample(_AGENDA, len(parts))
        content: dict[str, Any] = {}
        if "structure" in fields:
            content["structure"] = [
                {"name": name, "duration": part} for name, part in zip(agenda, parts, strict=True)
            ]
        if "topics" in fields:
            rng = self._rng(index, "topics")
            names = rng.sample(_TOPICS, rng.randint(3, 6))
            lengths = _split(rng, duration, len(names))
            content["topics"] = [
                {"name": name, "duration": length} for name, length in zip(names, lengths, strict=True)
            ]
        if "trackers" in fields:
            speakers = [party["speakerId"] for party in self._speakers(details)]
            occurrences = "trackerOccurrences" in fields
            content["trackers"] = self._trackers(
                self._rng(index, "trackers"), duration, speakers, occurrences
            )
        if "pointsOfInterest" in fields:
            content["pointsOfInterest"] = None  # deprecated by Gong: always null
        if "brief" in fields:
            rng = self._rng(index, "brief")
            topic = rng.choice(_TOPICS).lower()
            point = rng.choice(_KEY_POINTS).format(company=company)
            content["brief"] = f"{company} discussed {topic} with Emulated Company. {point}"
        if "outline" in fields:
            rng = self._rng(index, "outline")
            outline: list[dict[str, Any]] = []
            offset = 0
            for name, part in zip(agenda, parts, strict=True):
                moments = sorted(offset + rng.randrange(max(1, part)) for _ in range(rng.randint(1, 3)))
                items = [
                    {"text": rng.choice(_SENTENCES).format(company=company), "startTime": float(moment)}
                    for moment in moments
                ]
                outline.append(
                    {"section": name, "startTime": float(offset), "duration": float(part), "items": items}
                )
                offset += part
            content["outline"] = outline
        if "highlights" in fields:
            rng = self._rng(index, "highlights")
            content["highlights"] = [
                {
                    "title": title,
                    "items": [
                        {
                            "text": rng.choice(_KEY_POINTS).format(company=company),
                            "startTimes": sorted(
                                float(rng.randrange(duration)) for _ in range(rng.randint(1, 2))
                            ),
                        }
                        for _ in range(rng.randint(1, 3))
                    ],
                }
                for title in rng.sample(_HIGHLIGHT_TITLES, rng.randint(1, 3))
            ]
        if "callOutcome" in fields:
            outcome_id, category, name = self._rng(index, "outcome").choice(OUTCOMES)
            content["callOutcome"] = {"id": outcome_id, "category": category, "name": name}
        if "keyPoints" in fields:
            rng = self._rng(index, "key-points")
            points = rng.sample(_KEY_POINTS, rng.randint(2, 5))
            content["keyPoints"] = [{"text": text.format(company=company)} for text in points]
        if not processed:
            content = {name: _UNPROCESSED_CONTENT[name] for name in content}
        return content

    def _trackers(
        self, rng: random.Random, duration: int, speakers: Sequence[str], occurrences: bool
    ) -> list[dict[str, Any]]:
        trackers: list[dict[str, Any]] = []
        for tracker_id, name, kind, phrases in TRACKERS:
            count = rng.choice((0, 0, 1, 2, 3, 5))
            moments = sorted(
                (float(rng.randrange(duration)), rng.choice(speakers) if speakers else None)
                for _ in range(count)
            )
            tracker: dict[str, Any] = {"id": tracker_id, "name": name, "count": count, "type": kind}
            if occurrences:
                tracker["occurrences"] = [{"startTime": at, "speakerId": who} for at, who in moments]
            said = [rng.choice(phrases) for _ in moments] if phrases else []
            tracker["phrases"] = []
            for phrase in phrases:
                hits = [moment for moment, spoken in zip(moments, said, strict=True) if spoken == phrase]
                if not hits:
                    continue
                entry: dict[str, Any] = {"count": len(hits)}
                if occurrences:
                    entry["occurrences"] = [{"startTime": at, "speakerId": who} for at, who in hits]
                entry["phrase"] = phrase
                tracker["phrases"].append(entry)
            trackers.append(tracker)
        return trackers

    def _interaction(
        self, index: int, details: _Details, fields: frozenset[str], processed: bool
    ) -> dict[str, Any]:
        duration = self._duration[index]
        speakers = self._speakers(details)
        talk_rng = self._rng(index, "talk")
        talk = _split(talk_rng, int(duration * talk_rng.uniform(0.75, 0.95)), len(speakers))
        interaction: dict[str, Any] = {}
        if "speakers" in fields:
            interaction["speakers"] = [
                {"id": party["id"], "userId": party["userId"], "talkTime": float(seconds)}
                for party, seconds in zip(speakers, talk, strict=True)
            ]
        if "personInteractionStats" in fields:
            rng = self._rng(index, "interaction-stats")
            values = (
                round(talk[0] / max(1, sum(talk)), 2),
                float(rng.randrange(20, max(21, duration // 3))),
                float(rng.randrange(0, max(1, duration // 4))),
                round(rng.uniform(2.0, 9.0), 2),
                round(rng.uniform(0.3, 2.5), 2),
            )
            interaction["interactionStats"] = (
                [
                    {"name": name, "value": value}
                    for name, value in zip(_INTERACTION_STATS, values, strict=True)
                ]
                if processed
                else []
            )
        if "video" in fields:
            rng = self._rng(index, "video")
            interaction["video"] = (
                [
                    {"name": name, "duration": float(rng.randrange(duration))}
                    for name in rng.sample(_VIDEO_SEGMENTS, rng.randint(1, len(_VIDEO_SEGMENTS)))
                ]
                if details.meta["media"] == "Video"
                else []
            )
        if "questions" in fields:
            rng = self._rng(index, "questions")
            counts = (rng.randrange(0, 15), rng.randrange(0, 10)) if processed else (0, 0)
            interaction["questions"] = {"companyCount": counts[0], "nonCompanyCount": counts[1]}
        return interaction

    def _comments(self, index: int, details: _Details) -> list[dict[str, Any]]:
        rng = self._rng(index, "comments")
        if rng.random() < 0.75:
            return []
        duration = self._duration[index]
        started = self._started[index]
        ended = started + duration
        visible = self._visible_at[index]
        comments: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 3)):
            start = float(rng.randrange(duration))
            during = rng.random() < 0.4
            posted = started + int(start) if during else ended + int(rng.random() * (visible - ended))
            commenter = self._directory.ids[self._hosts[rng.randrange(len(self._hosts))]]
            comments.append(
                {
                    "id": str(rng.randrange(10**17, 10**19)),
                    "audioStartTime": start,
                    "audioEndTime": min(float(duration), start + rng.randrange(5, 60)),
                    "commenterUserId": commenter,
                    "comment": rng.choice(_COMMENTS),
                    "posted": format_gong_time(posted),
                    "inReplyTo": comments[-1]["id"] if comments and rng.random() < 0.3 else None,
                    "duringCall": during,
                }
            )
        return comments

    def _media(self, index: int, details: _Details, now: float) -> dict[str, Any]:
        call_id = str(self._ids[index])
        expires = int(now) + MEDIA_URL_TTL

        def url(name: str) -> str:
            signature = hashlib.blake2b(f"{self.seed}:{call_id}:{name}:{expires}".encode(), digest_size=12)
            return f"{MEDIA_HOST}/calls/{call_id}/{name}?expires={expires}&signature={signature.hexdigest()}"

        video = url("video.mp4") if details.meta["media"] == "Video" else None
        return {"audioUrl": url("audio.mp3"), "videoUrl": video}

    def _render_transcript_json(self, index: int) -> bytes:
        details = self._details(index)
        rng = self._rng(index, "transcript")
        speakers = [party["speakerId"] for party in self._speakers(details)]
        monologues = rng.randint(4, 15)
        sizes = [rng.randint(1, 4) for _ in range(monologues)]
        slot = self._duration[index] * 1000 // sum(sizes)
        moment = 0
        transcript: list[dict[str, Any]] = []
        for position, size in enumerate(sizes):
            speaker = speakers[position % len(speakers)] if rng.random() < 0.8 else rng.choice(speakers)
            sentences: list[dict[str, Any]] = []
            for _ in range(size):
                start = moment + rng.randrange(max(1, slot // 5))
                end = start + max(1, slot // 2 + rng.randrange(max(1, slot // 4)))
                text = rng.choice(_SENTENCES).format(company=details.company)
                sentences.append({"start": start, "end": end, "text": text})
                moment += slot
            topic = rng.choice(_TOPICS) if rng.random() < 0.7 else None
            transcript.append({"speakerId": speaker, "topic": topic, "sentences": sentences})
        return _dumps({"callId": str(self._ids[index]), "transcript": transcript})


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` non-negative integers that add up to it."""
    cuts = sorted(rng.randrange(total + 1) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [high - low for low, high in itertools.pairwise(bounds)]


def _links_json(links: Sequence[_Link], selector: ContentSelector) -> list[dict[str, Any]]:
    """Render links to external systems as ``[{"system", "objects": [...]}]`` for the selector's context.

    ``"None"`` gives ``[]``; ``"Basic"`` each object's type and id; ``"Extended"`` adds its fields and timing,
    one object per asked timing (a field's value at the time of call is its second value when it has one).
    """
    if selector.context == "None":
        return []
    systems: dict[str, list[dict[str, Any]]] = {}
    for system, object_type, object_id, fields in links:
        objects = systems.setdefault(system, [])
        if selector.context == "Basic":
            objects.append({"objectType": object_type, "objectId": object_id})
            continue
        for timing in selector.context_timing:
            values = [
                {"name": name, "value": then if timing == "TimeOfCall" and then is not None else now}
                for name, now, then in fields
            ]
            objects.append(
                {"objectType": object_type, "objectId": object_id, "fields": values, "timing": timing}
            )
    return [{"system": system, "objects": objects} for system, objects in systems.items()]


def _salesforce_id(rng: random.Random, prefix: str) -> str:
    return prefix + _alphanumeric(rng, 15)


def _alphanumeric(rng: random.Random, length: int) -> str:
    return "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=length))


def _ascii(name: str) -> str:
    """Lower-case ASCII letters of a name, for e-mail addresses (``"Chloé"`` -> ``"chloe"``)."""
    plain = name.lower().translate(str.maketrans("éøñ", "eon"))
    return "".join(char for char in plain if char.isascii() and char.isalpha())
