"""Class poll rooms: a class's anonymous answers to a quiz, behind one small protocol.

A teacher opens a room (a short code in the link); each student's browser answers a quiz in
it once, and may change its answer until the teacher reveals. :class:`RoomStore` is all the
app knows: :class:`InProcessRoomStore` (one process, the default) and :class:`RedisRoomStore`
(the Redis the replicas of a class server already share for results) behave the same.

- A room lives :data:`ROOM_TTL_S` after it opens; everything in it expires with it.
- It holds no names: a vote is an option's index under an HMAC of the voter id (a random
  secret only that browser's session knows) with the store's secret, so a forged or replayed
  vote under any other id is a new voter, never a change to another browser's vote.
- At most :data:`MAX_VOTES` voters per quiz and room; further voters are refused.

Example:
    >>> store = InProcessRoomStore(b"secret")
    >>> store.open("k7q2m"), store.vote("k7q2m", "quiz", "browser-1", 0)
    (True, 'counted')
    >>> store.vote("k7q2m", "quiz", "browser-1", 2), store.vote("k7q2m", "quiz", "browser-2", 2)
    ('counted', 'counted')
    >>> store.counts("k7q2m", "quiz"), store.reveal("k7q2m", "quiz")
    ({2: 2}, True)
    >>> store.vote("k7q2m", "quiz", "browser-3", 1), store.revealed("k7q2m", "quiz")
    ('revealed', True)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal, Protocol

ROOM_TTL_S = 3 * 3600  # a room, its votes and its reveals expire 3 h after it opens
MAX_VOTES = 300  # voters per quiz in one room (a lecture hall); further voters are refused
MAX_OPTIONS = 16  # an answer is an option's index below this
MAX_ROOMS = 500  # rooms one process keeps open at once (the in-process store)
CODE_LENGTH = 5
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a projector
ROOM_CODE = re.compile(r"[a-z0-9]{4,12}")
QUIZ_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,100}")

Vote = Literal["counted", "full", "closed", "revealed"]
"""What became of a vote: counted (new or changed), refused because the room is full, closed
(no such room, or it expired) or already revealed."""


class RoomUnavailable(RuntimeError):
    """The store cannot be reached (Redis down or slow), or cannot open another room."""


def valid_code(code: str) -> bool:
    """Whether ``code`` has the form of a room code (4–12 lowercase letters or digits)."""
    return ROOM_CODE.fullmatch(code) is not None


def new_code() -> str:
    """A fresh random room code, e.g. ``"k7q2m"``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def voter_key(secret: bytes, voter: str) -> str:
    """The name a voter's answer is kept under: HMAC-SHA-256 of its id, 32 hex digits."""
    return hmac.new(secret, b"voter:" + voter.encode(), hashlib.sha256).hexdigest()[:32]


def room_host_key(secret: bytes, room: str) -> str:
    """The key in a teacher's own link that makes a page the room's host (20 hex digits)."""
    return hmac.new(secret, b"host:" + room.encode(), hashlib.sha256).hexdigest()[:20]


def _check(room: str, quiz: str, option: int = 0) -> None:
    if not valid_code(room):
        raise ValueError(f"room must be 4-12 lowercase letters or digits. Got {room!r}.")
    if QUIZ_KEY.fullmatch(quiz) is None:
        raise ValueError(f"quiz must be a key of letters, digits, '.', '_' or '-'. Got {quiz!r}.")
    if not 0 <= option < MAX_OPTIONS:
        raise ValueError(f"option must be an index from 0 to {MAX_OPTIONS - 1}. Got {option}.")


class RoomStore(Protocol):
    """Rooms of anonymous votes: one answer per voter and quiz, counted per option."""

    def open(self, room: str) -> bool:
        """Open ``room`` for :data:`ROOM_TTL_S`; False when it is open already."""
        ...

    def is_open(self, room: str) -> bool:
        """Whether ``room`` is open (opened and not expired)."""
        ...

    def host_key(self, room: str) -> str:
        """The key a teacher's link carries to host ``room`` (:func:`room_host_key`)."""
        ...

    def vote(self, room: str, quiz: str, voter: str, option: int) -> Vote:
        """Record ``voter``'s answer (an option's index), replacing its earlier one."""
        ...

    def choice(self, room: str, quiz: str, voter: str) -> int | None:
        """``voter``'s answer in the room, or None."""
        ...

    def counts(self, room: str, quiz: str) -> dict[int, int]:
        """Voters per option index (options nobody chose are left out)."""
        ...

    def reveal(self, room: str, quiz: str) -> bool:
        """Reveal the answer to the room (votes then stay as they are); False if closed."""
        ...

    def revealed(self, room: str, quiz: str) -> bool:
        """Whether the answer to ``quiz`` has been revealed in ``room``."""
        ...


@dataclasses.dataclass
class _Room:
    expires: float
    votes: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)  # quiz → voter
    revealed: set[str] = dataclasses.field(default_factory=set)


class InProcessRoomStore:
    """This process's rooms (one ``streamlit run app.py``). Thread-safe.

    Args:
        secret: the HMAC key of voter and host keys; random for this process by default.
        max_votes: voters per quiz and room.
        max_rooms: rooms open at once; opening one more raises :class:`RoomUnavailable`.
        ttl_s: a room's lifetime.
        clock: seconds (tests pass a fake).
    """

    def __init__(self, secret: bytes | None = None, *, max_votes: int = MAX_VOTES,
                 max_rooms: int = MAX_ROOMS, ttl_s: float = ROOM_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.secret = secret or secrets.token_bytes(32)
        self.max_votes = max_votes
        self.max_rooms = max_rooms
        self.ttl_s = ttl_s
        self.clock = clock
        self._rooms: dict[str, _Room] = {}
        self._lock = threading.Lock()

    def _room(self, room: str) -> _Room | None:
        """The open room (caller holds the lock); an expired one is dropped."""
        found = self._rooms.get(room)
        if found is not None and found.expires <= self.clock():
            del self._rooms[room]
            return None
        return found

    def open(self, room: str) -> bool:
        _check(room, "quiz")
        with self._lock:
            if self._room(room) is not None:
                return False
            now = self.clock()
            for code in [c for c, r in self._rooms.items() if r.expires <= now]:
                del self._rooms[code]
            if len(self._rooms) >= self.max_rooms:
                raise RoomUnavailable(f"{self.max_rooms} rooms are open; no room for another.")
            self._rooms[room] = _Room(expires=now + self.ttl_s)
            return True

    def is_open(self, room: str) -> bool:
        with self._lock:
            return self._room(room) is not None

    def host_key(self, room: str) -> str:
        return room_host_key(self.secret, room)

    def vote(self, room: str, quiz: str, voter: str, option: int) -> Vote:
        _check(room, quiz, option)
        key = voter_key(self.secret, voter)
        with self._lock:
            found = self._room(room)
            if found is None:
                return "closed"
            if quiz in found.revealed:
                return "revealed"
            votes = found.votes.setdefault(quiz, {})
            if key not in votes and len(votes) >= self.max_votes:
                return "full"
            votes[key] = option
            return "counted"

    def choice(self, room: str, quiz: str, voter: str) -> int | None:
        _check(room, quiz)
        with self._lock:
            found = self._room(room)
            if found is None:
                return None
            return found.votes.get(quiz, {}).get(voter_key(self.secret, voter))

    def counts(self, room: str, quiz: str) -> dict[int, int]:
        _check(room, quiz)
        with self._lock:
            found = self._room(room)
            votes = found.votes.get(quiz, {}) if found is not None else {}
            counted: dict[int, int] = {}
            for option in votes.values():
                counted[option] = counted.get(option, 0) + 1
            return counted

    def reveal(self, room: str, quiz: str) -> bool:
        _check(room, quiz)
        with self._lock:
            found = self._room(room)
            if found is None:
                return False
            found.revealed.add(quiz)
            return True

    def revealed(self, room: str, quiz: str) -> bool:
        _check(room, quiz)
        with self._lock:
            found = self._room(room)
            return found is not None and quiz in found.revealed


# KEYS: the room, its votes for the quiz, its reveal of the quiz. ARGV: voter key, option,
# max voters, the room's TTL in ms (used only for a room that somehow has none).
_VOTE = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 'closed' end
if ttl < 0 then ttl = tonumber(ARGV[4]) end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'revealed' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
   and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 'counted'
"""
# KEYS: the room, its reveal of the quiz. ARGV: the room's TTL in ms (as above).
_REVEAL = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl < 0 then ttl = tonumber(ARGV[1]) end
redis.call('SET', KEYS[2], '1', 'PX', ttl)
return 1
"""


class RedisRoomStore:
    """Rooms in the Redis a class server's replicas share, so every replica counts every vote.

    Keys (all expiring with the room): ``lab:room:<code>`` (the room is open),
    ``lab:room:<code>:<quiz>:votes`` (a hash: voter key → option index) and
    ``lab:room:<code>:<quiz>:revealed``. A vote is one Lua script, so the cap and the reveal
    hold however many replicas write at once.

    Args:
        client: a ``redis.Redis``.
        secret: the HMAC key (``LAB_CACHE_SECRET``), the same on every replica.
        max_votes: voters per quiz and room.
        ttl_s: a room's lifetime.

    Every method raises :class:`RoomUnavailable` when Redis cannot be reached.
    """

    def __init__(self, client: Any, secret: bytes, *, max_votes: int = MAX_VOTES,
                 ttl_s: int = ROOM_TTL_S) -> None:
        import redis

        self.client = client
        self.secret = secret
        self.max_votes = max_votes
        self.ttl_s = ttl_s
        self._errors = redis.exceptions.RedisError
        self._vote = client.register_script(_VOTE)
        self._reveal = client.register_script(_REVEAL)

    @classmethod
    def from_url(cls, url: str, secret: bytes) -> RedisRoomStore:
        """A store on the Redis at ``url``, with the results cache's timeouts."""
        import redis

        from labui.cache.redis_store import TIMEOUT_S

        return cls(redis.Redis.from_url(url, socket_timeout=TIMEOUT_S,
                                        socket_connect_timeout=TIMEOUT_S), secret)

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise RoomUnavailable(f"The class poll's Redis is unavailable "
                                  f"({type(exc).__name__}).") from exc

    @staticmethod
    def _keys(room: str, quiz: str) -> tuple[str, str, str]:
        base = f"lab:room:{room}"
        return base, f"{base}:{quiz}:votes", f"{base}:{quiz}:revealed"

    def open(self, room: str) -> bool:
        _check(room, "quiz")
        with self._reaching():
            return bool(self.client.set(f"lab:room:{room}", b"1", nx=True, ex=self.ttl_s))

    def is_open(self, room: str) -> bool:
        _check(room, "quiz")
        with self._reaching():
            return bool(self.client.exists(f"lab:room:{room}"))

    def host_key(self, room: str) -> str:
        return room_host_key(self.secret, room)

    def vote(self, room: str, quiz: str, voter: str, option: int) -> Vote:
        _check(room, quiz, option)
        args = [voter_key(self.secret, voter), option, self.max_votes, self.ttl_s * 1000]
        with self._reaching():
            outcome = self._vote(keys=list(self._keys(room, quiz)), args=args)
        return outcome.decode() if isinstance(outcome, bytes) else outcome

    def choice(self, room: str, quiz: str, voter: str) -> int | None:
        _check(room, quiz)
        with self._reaching():
            value = self.client.hget(self._keys(room, quiz)[1], voter_key(self.secret, voter))
        return _option(value)

    def counts(self, room: str, quiz: str) -> dict[int, int]:
        _check(room, quiz)
        with self._reaching():
            values = self.client.hvals(self._keys(room, quiz)[1])
        counted: dict[int, int] = {}
        for option in map(_option, values):
            if option is not None:
                counted[option] = counted.get(option, 0) + 1
        return counted

    def reveal(self, room: str, quiz: str) -> bool:
        _check(room, quiz)
        room_key, _, revealed_key = self._keys(room, quiz)
        with self._reaching():
            return bool(self._reveal(keys=[room_key, revealed_key], args=[self.ttl_s * 1000]))

    def revealed(self, room: str, quiz: str) -> bool:
        _check(room, quiz)
        with self._reaching():
            return bool(self.client.exists(self._keys(room, quiz)[2]))


def _option(value: bytes | None) -> int | None:
    """An option index read back from Redis; None for anything else."""
    if value is None or not value.isdigit():
        return None
    option = int(value)
    return option if option < MAX_OPTIONS else None
