"""A set of Gong ids in 8 bytes each, so a listing can drop the records Gong repeats without growing.

Gong's ids are strings of up to 20 digits. A Python ``set`` of them costs about 100 bytes per id, and
worse, its small string objects pin the allocator's arenas, so a stream of 100,000 users keeps the
memory of every page it ever decoded. :class:`IdSet` keeps the usual ids (digits, no leading zero,
below 2**64 - 1) exactly, as integers in one open-addressing table of unsigned 64-bit slots (a single
buffer outside the small-object allocator), and any other id in a plain ``set``.
"""

from __future__ import annotations

from array import array

__all__ = ["IdSet"]

_EMPTY = 0
_MAX_KEY = 2**64 - 1
#: Fibonacci hashing: consecutive ids spread over the table.
_MULTIPLIER = 0x9E3779B97F4A7C15
_MASK64 = 2**64 - 1


class IdSet:
    """
    The ids seen so far; :meth:`add` tells whether an id is new.

    Exact (no false positives): ids are compared whole, never by a digest.
    """

    __slots__ = ("_other", "_shift", "_table", "_used")

    def __init__(self) -> None:
        self._table = array("Q", bytes(8 * 1024))
        self._shift = 64 - 10  # log2 of the table size is 10
        self._used = 0
        self._other: set[str] = set()

    def __len__(self) -> int:
        return self._used + len(self._other)

    def add(self, uid: str) -> bool:
        """
        Add an id; return ``True`` when it was not in the set before.

        :param uid: The id, as Gong sent it (any string).
        """
        key = _key(uid)
        if key is None:
            if uid in self._other:
                return False
            self._other.add(uid)
            return True
        if not self._insert(key):
            return False
        self._used += 1
        if self._used * 4 > len(self._table) * 3:  # at most 3/4 full: short probe runs, 11+ bytes per id
            self._grow()
        return True

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, str):
            return False
        key = _key(uid)
        if key is None:
            return uid in self._other
        table, mask = self._table, len(self._table) - 1
        slot = ((key * _MULTIPLIER) & _MASK64) >> self._shift
        while table[slot] != _EMPTY:
            if table[slot] == key:
                return True
            slot = (slot + 1) & mask
        return False

    def _insert(self, key: int) -> bool:
        table, mask = self._table, len(self._table) - 1
        slot = ((key * _MULTIPLIER) & _MASK64) >> self._shift
        while True:
            found = table[slot]
            if found == _EMPTY:
                table[slot] = key
                return True
            if found == key:
                return False
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", bytes(16 * len(old)))
        self._shift -= 1
        for key in old:
            if key != _EMPTY:
                self._insert(key)


def _key(uid: str) -> int | None:
    """The id as a table key (the number plus one, so 0 marks an empty slot), or ``None``."""
    if not (uid.isascii() and uid.isdigit()) or (uid[0] == "0" and len(uid) > 1) or len(uid) > 20:
        return None
    key = int(uid) + 1
    return key if key <= _MAX_KEY else None
