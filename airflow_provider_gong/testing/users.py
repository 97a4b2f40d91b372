"""Deterministic synthetic Gong users.

A :class:`UserDirectory` holds the users of one emulated Gong company. Only what the endpoints need to
search and page is kept in memory for every user (id, creation time, avatar flag); the full user object
is rebuilt on demand from ``(seed, index)``, so 100,000 users cost a few megabytes and build in well under
a second.

Users are kept in the emulator's own stable order: ascending creation time (strictly increasing), which is
also the order every list endpoint returns them in.

Whatever the seed, the first users are the README's examples (:data:`EXAMPLE_USER_IDS`): active, never
avatars, so the README's ``GongHook`` snippet works as pasted against any emulator of two users or more.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import random
import re
import time
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

__all__ = ["EXAMPLE_USER_IDS", "UserDirectory", "format_gong_time", "generate_users", "parse_gong_time"]

#: First possible creation time (UTC epoch seconds): 2015-01-01T00:00:00Z.
CREATED_START = 1_420_070_400
#: Creation times are spread up to (not including) 2025-01-01T00:00:00Z.
CREATED_END = 1_735_689_600
#: Settings changes are dated no later than 2025-06-01T00:00:00Z (keeps the history deterministic).
HISTORY_END = 1_748_736_000

#: Default share of users that are avatars (synthetic users hidden unless ``includeAvatars``).
DEFAULT_AVATAR_SHARE = 0.02

#: Ids of the first users of every emulator, whatever its seed: the ids of the README's ``GongHook``
#: example. They replace the first generated users (an emulator of N users still serves N users).
EXAMPLE_USER_IDS = ("234599484848423", "987")

SETTING_NAMES = (
    "webConferencesRecorded",
    "preventWebConferenceRecording",
    "telephonyCallsImported",
    "emailsImported",
    "preventEmailImport",
    "nonRecordedMeetingsImported",
    "gongConnectEnabled",
)

#: Names the settings history gives a setting where they differ from the user's ``settings`` (Gong's spec).
HISTORY_NAMES = {"telephonyCallsImported": "callsImported"}

_FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
    "Radia", "Donald", "Hedy", "Tim", "Katherine", "Guido", "Sophie", "Bjarne", "Anita", "John",
    "José", "Zoë", "Łukasz", "Søren", "Chloé", "Jürgen", "Noa", "Yuki", "Amélie", "Björn",
    "Priya", "Wei", "Fatima", "Olusegun", "Mateo", "Ingrid", "Aiko", "Dmitri", "Nadia", "Kwame",
)  # fmt: skip
_LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
    "Dijkstra", "Perlman", "Knuth", "Lamarr", "Berners-Lee", "Johnson", "van Rossum", "Wilson",
    "Stroustrup", "Borg", "McCarthy", "García", "O'Brien", "Müller", "Nowak", "Kjær", "Lefèvre", "Cohen",
    "Tanaka", "Ivanova", "Okafor", "Nakamura", "Andersson", "Patel", "Chen", "Haddad", "Mensah",
)  # fmt: skip
_TITLES = (
    "Account Executive", "Senior Account Executive", "Sales Development Representative",
    "Customer Success Manager", "Sales Engineer", "VP Sales", "Regional Sales Director",
    "Revenue Operations Analyst", "Enablement Manager", "Chief Revenue Officer",
)  # fmt: skip
_LANGUAGES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "he-IL", "ja-JP", "pt-BR", "it-IT", "nl-NL")
_PROVIDERS = ("Zoom", "Microsoft Teams", "Google Meet", "Webex", "RingCentral", "Aircall")
_AVATAR_ROLES = ("Sales Coach", "Practice Buyer", "Objection Handler", "Demo Prospect")

_T = TypeVar("_T")

_DOMAIN = "emulated-company.example.com"
_ALIAS_DOMAIN = "emulated-company.example.net"
_TRANSLITERATE = str.maketrans({"ø": "o", "ł": "l", "æ": "ae", "ß": "ss", "đ": "d"})


def format_gong_time(epoch_seconds: int) -> str:
    """Render an instant like Gong does: ISO-8601 with the company's UTC offset, e.g. ``...-07:00``.

    The offset is US-Pacific-like and deterministic: -07:00 from April to October (by UTC month),
    -08:00 otherwise.

    :param epoch_seconds: The instant, in UTC epoch seconds.
    :return: The ISO-8601 text, such as ``2018-02-18T02:30:00-08:00``.
    """
    offset = -7 if 4 <= time.gmtime(epoch_seconds).tm_mon <= 10 else -8
    local = time.gmtime(epoch_seconds + offset * 3600)
    return (
        f"{local.tm_year:04d}-{local.tm_mon:02d}-{local.tm_mday:02d}T"
        f"{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d}-{-offset:02d}:00"
    )


_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))"
)


def parse_gong_time(text: str) -> float:
    """Parse an ISO-8601 date-time that carries ``Z`` or a UTC offset, as Gong's filters require.

    :param text: Such as ``2018-02-18T02:30:00-07:00``, ``2018-02-18T08:00:00Z`` or
        ``2018-02-18T08:00:00.250+00:00``.
    :return: The instant in UTC epoch seconds.
    :raises ValueError: If ``text`` is not such a date-time (a date alone or a time without offset fails).
    """
    match = _ISO_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 date-time with a UTC offset: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        offset = timedelta(0)
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"bad UTC offset in {text!r}")
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=timezone(offset)
    )
    micro = int((fraction or "0").ljust(9, "0")) / 1e9
    return moment.timestamp() + micro


@functools.cache
def _slug(name: str) -> str:
    """Lower-case ASCII letters and digits of ``name`` (accents dropped), for e-mail addresses."""
    plain = unicodedata.normalize("NFKD", name.lower().translate(_TRANSLITERATE))
    return "".join(char for char in plain if char.isascii() and char.isalnum()) or "user"


class _Draws:
    """Cheap deterministic draws for one user: a big random integer from BLAKE2b, spent digit by digit.

    Much cheaper than seeding a ``random.Random`` per user; the API mirrors the few methods used.
    """

    __slots__ = ("_key", "_pool", "_round")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._round = 0
        self._pool = self._digest()

    def _digest(self) -> int:
        self._round += 1
        digest = hashlib.blake2b(self._key + self._round.to_bytes(4, "big"), digest_size=64).digest()
        return int.from_bytes(digest, "big")

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        size = stop - start
        if self._pool < size << 32:
            self._pool = (self._pool << 512) | self._digest()
        self._pool, value = divmod(self._pool, size)
        return start + value

    def randint(self, low: int, high: int) -> int:
        return self.randrange(low, high + 1)

    def random(self) -> float:
        return self.randrange(1 << 24) / (1 << 24)

    def choice(self, options: Sequence[_T]) -> _T:
        return options[self.randrange(len(options))]

    def sample(self, options: Sequence[_T], count: int) -> list[_T]:
        pool = list(options)
        for position in range(count):
            other = position + self.randrange(len(pool) - position)
            pool[position], pool[other] = pool[other], pool[position]
        return pool[:count]


class UserDirectory:
    """All users of one emulated Gong company, deterministic from ``(count, seed, avatar_share)``.

    :param count: Number of users, avatars included.
    :param seed: Seed of the data; the same seed gives the same users.
    :param avatar_share: Share (0..1) of users that are avatars, rounded to a whole number of users (the
        example users of :data:`EXAMPLE_USER_IDS` excepted).
    """

    def __init__(self, count: int, seed: int = 0, avatar_share: float = DEFAULT_AVATAR_SHARE) -> None:
        if count < 0:
            raise ValueError("count must be >= 0")
        if not 0.0 <= avatar_share <= 1.0:
            raise ValueError("avatar_share must be within 0..1")
        self.count = count
        self.seed = seed
        self.avatar_share = avatar_share
        rng = random.Random(f"gong-emulator-users:{seed}")

        # Strictly increasing creation times spread evenly (with jitter) over the whole span.
        span = CREATED_END - CREATED_START
        step = max(2, span // max(count, 1))
        created = array("q")
        moment = CREATED_START + rng.randrange(step)
        for _ in range(count):
            created.append(moment)
            moment += 1 + rng.randrange(2 * step - 1)
        self._created = created

        ids: list[str] = list(EXAMPLE_USER_IDS[:count])
        seen: set[str] = set(ids)
        while len(ids) < count:
            length = rng.randint(15, 19)
            candidate = str(rng.randrange(10 ** (length - 1), 10**length))
            if candidate not in seen:
                seen.add(candidate)
                ids.append(candidate)
        self._ids = ids
        self._index_by_id = {user_id: index for index, user_id in enumerate(ids)}

        self._examples = len(EXAMPLE_USER_IDS[:count])
        candidates = range(self._examples, count)  # the example users are never avatars
        avatar_count = min(round(count * avatar_share), len(candidates))
        avatars = sorted(rng.sample(candidates, avatar_count)) if avatar_count else []
        self._avatar_set = frozenset(avatars)
        visible = array("q", (index for index in range(count) if index not in self._avatar_set))
        self._visible = visible
        self._visible_created = array("q", (created[index] for index in visible))

        self._user_json = functools.lru_cache(maxsize=16384)(self._render_user_json)

    # -- identity ------------------------------------------------------------------------------------------

    @property
    def key(self) -> tuple[int, int, float]:
        """The inputs this directory was built from, ``(count, seed, avatar_share)``."""
        return (self.count, self.seed, self.avatar_share)

    def __len__(self) -> int:
        return self.count

    @property
    def ids(self) -> Sequence[str]:
        """Every user id, in the emulator's order (creation time ascending)."""
        return self._ids

    @property
    def avatar_ids(self) -> frozenset[str]:
        """The ids of the avatar users."""
        return frozenset(self._ids[index] for index in self._avatar_set)

    def index_of(self, user_id: str) -> int | None:
        """Return the position of a user in the emulator's order, or ``None`` if there is no such user.

        :param user_id: A Gong user id.
        """
        return self._index_by_id.get(user_id)

    def is_avatar(self, index: int) -> bool:
        """Tell whether the user at ``index`` is an avatar.

        :param index: Position of the user in the emulator's order.
        """
        return index in self._avatar_set

    def created_epoch(self, index: int) -> int:
        """Return the creation time of the user at ``index`` in UTC epoch seconds.

        :param index: Position of the user in the emulator's order.
        """
        return self._created[index]

    # -- selection -----------------------------------------------------------------------------------------

    def select(
        self,
        *,
        include_avatars: bool,
        created_from: float | None = None,
        created_to: float | None = None,
        indices: Iterable[int] | None = None,
    ) -> Sequence[int]:
        """Return the positions of the matching users, in the emulator's order.

        :param include_avatars: Keep avatar users.
        :param created_from: Keep users created at or after this UTC epoch time (inclusive).
        :param created_to: Keep users created strictly before this UTC epoch time (exclusive).
        :param indices: Only consider these positions (any order, duplicates allowed).
        """
        if indices is not None:
            chosen = sorted(set(indices))
            low = created_from if created_from is not None else float("-inf")
            high = created_to if created_to is not None else float("inf")
            return [
                index
                for index in chosen
                if low <= self._created[index] < high and (include_avatars or index not in self._avatar_set)
            ]
        if include_avatars:
            pool: Sequence[int] = range(self.count)
            created: Sequence[int] = self._created
        else:
            pool = self._visible
            created = self._visible_created
        start = 0 if created_from is None else bisect.bisect_left(created, created_from)
        stop = len(created) if created_to is None else bisect.bisect_left(created, created_to)
        if stop <= start:
            return []
        return pool[start:stop]

    # -- rendering -----------------------------------------------------------------------------------------

    def user(self, index: int) -> dict[str, Any]:
        """Build the Gong user object of the user at ``index`` (a fresh dict every call).

        :param index: Position of the user in the emulator's order.
        """
        result: dict[str, Any] = json.loads(self._user_json(index))
        return result

    def user_by_id(self, user_id: str) -> dict[str, Any] | None:
        """Build the Gong user object for ``user_id``, or return ``None`` if there is no such user.

        :param user_id: A Gong user id.
        """
        index = self.index_of(user_id)
        return None if index is None else self.user(index)

    def user_json(self, index: int) -> bytes:
        """Return the user object at ``index`` as compact UTF-8 JSON (cached).

        :param index: Position of the user in the emulator's order.
        """
        return self._user_json(index)

    def users(self, *, include_avatars: bool = True) -> list[dict[str, Any]]:
        """Build every user object, in the emulator's order.

        :param include_avatars: Include the avatar users.
        """
        return [self.user(index) for index in self.select(include_avatars=include_avatars)]

    def _rng(self, index: int, purpose: str) -> _Draws:
        return _Draws(f"{self.seed}:{purpose}:{index}".encode())

    def _render_user_json(self, index: int) -> bytes:
        return json.dumps(self._build_user(index), ensure_ascii=False, separators=(",", ":")).encode()

    def _settings(self, rng: _Draws) -> dict[str, bool]:
        recorded = rng.random() < 0.85
        return {
            "webConferencesRecorded": recorded,
            "preventWebConferenceRecording": (not recorded) and rng.random() < 0.3,
            "telephonyCallsImported": rng.random() < 0.4,
            "emailsImported": rng.random() < 0.7,
            "preventEmailImport": rng.random() < 0.05,
            "nonRecordedMeetingsImported": rng.random() < 0.6,
            "gongConnectEnabled": rng.random() < 0.5,
        }

    def _build_user(self, index: int) -> dict[str, Any]:
        rng = self._rng(index, "user")
        user_id = self._ids[index]
        avatar = index in self._avatar_set
        if avatar:
            first = "Avatar"
            last = f"{rng.choice(_AVATAR_ROLES)} {index}"
            email = f"avatar.{index}@avatars.{_DOMAIN}"
        else:
            first = rng.choice(_FIRST_NAMES)
            last = rng.choice(_LAST_NAMES)
            email = f"{_slug(first)}.{_slug(last)}.{index}@{_DOMAIN}"

        aliases: list[str] = []
        if not avatar and rng.random() < 0.3:
            aliases.append(f"{_slug(first)}{index}@{_ALIAS_DOMAIN}")
            if rng.random() < 0.3:
                aliases.append(f"{_slug(first)[0]}{_slug(last)}{index}@{_ALIAS_DOMAIN}")

        manager_id: str | None = None
        if index > 0 and not avatar and rng.random() < 0.85:
            manager = rng.randrange(max(1, index // 8))
            if manager not in self._avatar_set:
                manager_id = self._ids[manager]

        languages: list[dict[str, Any]] = []
        if rng.random() < 0.8:
            picked = rng.sample(_LANGUAGES, rng.choice((1, 1, 1, 2, 2, 3)))
            primary = rng.randrange(len(picked))
            languages = [
                {"language": language, "primary": position == primary}
                for position, language in enumerate(picked)
            ]

        meeting_urls: list[str] = []
        if rng.random() < 0.5:
            meeting_urls.append(f"https://zoom.us/j/{rng.randrange(10**9, 10**10)}")
            if rng.random() < 0.2:
                meeting_urls.append(f"https://meet.google.com/{rng.randrange(10**9, 10**10)}")

        phone: str | None = None
        if rng.random() < 0.4:
            phone = f"+1 415-555-{rng.randrange(10000):04d}"
        extension = str(rng.randrange(100, 9999)) if phone is not None and rng.random() < 0.25 else None

        names = [] if rng.random() < 0.2 else sorted(rng.sample(_PROVIDERS, rng.randint(1, 3)))
        default = rng.randrange(len(names)) if names else -1
        providers = [
            {"provider": name, "isDefault": position == default} for position, name in enumerate(names)
        ]

        return {
            "id": user_id,
            "emailAddress": email,
            "created": format_gong_time(self._created[index]),
            "active": avatar or index < self._examples or rng.random() < 0.9,
            "emailAliases": aliases,
            "trustedEmailAddress": email if rng.random() < 0.2 else None,
            "firstName": first,
            "lastName": last,
            "title": None if avatar or rng.random() < 0.2 else rng.choice(_TITLES),
            "phoneNumber": phone,
            "extension": extension,
            "personalMeetingUrls": meeting_urls,
            "settings": self._settings(rng),
            "managerId": manager_id,
            "meetingConsentPageUrl": (
                f"https://app.gong.io/meeting-consent/{user_id}" if rng.random() < 0.15 else None
            ),
            "spokenLanguages": languages,
            "conferencingProviders": providers,
        }

    def settings_history(self, index: int) -> list[dict[str, Any]]:
        """Build the settings history of the user at ``index``: a few changes, oldest first.

        The last change of each setting matches the user's current ``settings`` value (the history names
        ``telephonyCallsImported`` ``callsImported``, as Gong's spec does: see :data:`HISTORY_NAMES`).

        :param index: Position of the user in the emulator's order.
        """
        rng = self._rng(index, "history")
        current: dict[str, bool] = self.user(index)["settings"]
        created = self._created[index]
        names = rng.sample(SETTING_NAMES, rng.randint(1, 4))
        times = sorted(rng.randrange(created, HISTORY_END) for _ in names)
        changes: list[tuple[int, int, dict[str, Any]]] = []
        for name, moment in zip(names, times, strict=True):
            if rng.random() < 0.5:
                # An earlier flip of the same setting, shortly before the current value was set.
                earlier = max(created, moment - 86400)
                changes.append(
                    (earlier, len(changes), {"setting": name, "value": not current[name], "time": earlier})
                )
            changes.append((moment, len(changes), {"setting": name, "value": current[name], "time": moment}))
        changes.sort(key=lambda change: (change[0], change[1]))
        history = [entry for _, _, entry in changes]
        for entry in history:
            entry["time"] = format_gong_time(entry["time"])
            entry["setting"] = HISTORY_NAMES.get(entry["setting"], entry["setting"])
        return history


def generate_users(
    count: int = 250,
    seed: int = 0,
    *,
    include_avatars: bool = True,
    avatar_share: float = DEFAULT_AVATAR_SHARE,
) -> list[dict[str, Any]]:
    """Generate the same users an emulator with these settings serves, in its order.

    :param count: Number of users, avatars included (``EmulatorConfig.users``).
    :param seed: Seed of the data (``EmulatorConfig.seed``).
    :param include_avatars: Include the avatar users (the list endpoints hide them by default).
    :param avatar_share: Share of avatar users (``EmulatorConfig.avatar_share``).
    :return: A list of Gong user objects (fresh dicts).
    """
    return UserDirectory(count, seed, avatar_share).users(include_avatars=include_avatars)
