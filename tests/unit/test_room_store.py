"""The class poll's room stores (labui.cache.rooms): the in-process one and the Redis one,
against a real ``redis-server``, run through the same tests.

The Redis tests are skipped when ``redis-server`` or the ``redis`` package is missing, unless
``LAB_REQUIRE_CLUSTER=1`` (CI), where that is a failure (as tests/unit/test_shared_cache.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from redis_server import free_port, redis_server

from labui.cache import rooms_from_environment
from labui.cache.rooms import (
    MAX_OPTIONS,
    ROOM_TTL_S,
    InProcessRoomStore,
    RoomStore,
    RoomUnavailable,
    new_code,
    valid_code,
    voter_key,
)

SECRET = b"test-secret"
ROOM, QUIZ = "k7q2m", "regression.quiz.mse"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _redis_store(url: str, **kwargs) -> RoomStore:
    import redis

    from labui.cache.rooms import RedisRoomStore

    client = redis.Redis.from_url(url)
    client.flushdb()
    return RedisRoomStore(client, SECRET, **kwargs)


@pytest.fixture(params=["in_process", "redis"])
def make_store(request):
    """Makes a store of either kind (keyword arguments: max_votes, ttl_s)."""
    if request.param == "in_process":
        return lambda **kwargs: InProcessRoomStore(SECRET, **kwargs)
    url = request.getfixturevalue("redis_url")
    return lambda **kwargs: _redis_store(url, **kwargs)


@pytest.fixture
def store(make_store) -> RoomStore:
    made = make_store()
    assert made.open(ROOM)
    return made


# --- both stores -------------------------------------------------------------------------------


def test_a_room_opens_once_and_other_codes_stay_closed(make_store) -> None:
    store = make_store()
    assert not store.is_open(ROOM)
    assert store.open(ROOM) is True
    assert store.open(ROOM) is False  # already open: another class would draw a new code
    assert store.is_open(ROOM) and not store.is_open("k7q2n")
    assert store.vote("k7q2n", QUIZ, "a", 0) == "closed"
    assert store.counts("k7q2n", QUIZ) == {} and store.reveal("k7q2n", QUIZ) is False


def test_one_answer_per_voter_changeable_until_the_reveal(store: RoomStore) -> None:
    assert [store.vote(ROOM, QUIZ, v, o) for v, o in [("a", 0), ("b", 0), ("c", 2)]] == [
        "counted"] * 3
    assert store.counts(ROOM, QUIZ) == {0: 2, 2: 1}
    assert store.vote(ROOM, QUIZ, "b", 1) == "counted"  # b changes its mind
    assert store.counts(ROOM, QUIZ) == {0: 1, 1: 1, 2: 1}  # a count moved, the total stayed
    assert store.choice(ROOM, QUIZ, "b") == 1 and store.choice(ROOM, QUIZ, "z") is None
    assert not store.revealed(ROOM, QUIZ)
    assert store.reveal(ROOM, QUIZ) is True
    assert store.revealed(ROOM, QUIZ) and not store.revealed(ROOM, "other.quiz")
    assert store.vote(ROOM, QUIZ, "b", 0) == "revealed"
    assert store.vote(ROOM, QUIZ, "new", 0) == "revealed"
    assert store.counts(ROOM, QUIZ) == {0: 1, 1: 1, 2: 1}  # frozen at the reveal
    assert store.vote(ROOM, "other.quiz", "b", 3) == "counted"  # quizzes are counted apart
    assert store.counts(ROOM, "other.quiz") == {3: 1}


def test_a_full_room_refuses_new_voters_but_not_a_change(make_store) -> None:
    store = make_store(max_votes=3)
    store.open(ROOM)
    assert [store.vote(ROOM, QUIZ, f"v{i}", 0) for i in range(4)] == ["counted"] * 3 + ["full"]
    assert store.vote(ROOM, QUIZ, "v1", 1) == "counted"
    assert store.counts(ROOM, QUIZ) == {0: 2, 1: 1}


def test_a_forged_vote_is_a_new_voter_not_a_change_to_anothers(store: RoomStore) -> None:
    secret_id = "browser:9f86d081884c7d659a2feaa0c55ad015"
    store.vote(ROOM, QUIZ, secret_id, 0)
    # What a forger can send: any other id, or the key the store keeps (an HMAC of the id).
    for forged in ("browser:", secret_id.upper(), voter_key(SECRET, secret_id), "0"):
        assert store.vote(ROOM, QUIZ, forged, 1) == "counted"
    assert store.choice(ROOM, QUIZ, secret_id) == 0
    assert store.counts(ROOM, QUIZ) == {0: 1, 1: 4}


def test_bad_codes_quizzes_and_options_are_refused(store: RoomStore) -> None:
    for room in ("K7Q2M", "k7q", "k7q2m!", "a" * 13, "lab:room:x"):
        with pytest.raises(ValueError, match="room must be 4-12 lowercase letters or digits"):
            store.vote(room, QUIZ, "a", 0)
    with pytest.raises(ValueError, match="quiz must be a key"):
        store.counts(ROOM, "a b")
    for option in (-1, MAX_OPTIONS):
        with pytest.raises(ValueError, match=f"Got {option}"):
            store.vote(ROOM, QUIZ, "a", option)


def test_the_host_key_depends_on_the_room_and_the_secret(make_store) -> None:
    store = make_store()
    assert store.host_key(ROOM) == store.host_key(ROOM) != store.host_key("k7q2n")
    assert len(store.host_key(ROOM)) == 20
    assert InProcessRoomStore(b"other").host_key(ROOM) != store.host_key(ROOM)


def test_votes_from_many_threads_are_all_counted(store: RoomStore) -> None:
    def vote(i: int) -> None:
        store.vote(ROOM, QUIZ, f"voter{i}", i % 3)

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(90)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts(ROOM, QUIZ) == {0: 30, 1: 30, 2: 30}


# --- each store --------------------------------------------------------------------------------


def test_an_in_process_room_expires_with_everything_in_it() -> None:
    now = [0.0]
    store = InProcessRoomStore(SECRET, clock=lambda: now[0])
    store.open(ROOM)
    store.vote(ROOM, QUIZ, "a", 1)
    store.reveal(ROOM, QUIZ)
    now[0] = ROOM_TTL_S - 1
    assert store.is_open(ROOM) and store.counts(ROOM, QUIZ) == {1: 1}
    now[0] = ROOM_TTL_S
    assert not store.is_open(ROOM)
    assert store.counts(ROOM, QUIZ) == {} and not store.revealed(ROOM, QUIZ)
    assert store.open(ROOM)  # the code can be used again, empty
    assert store.counts(ROOM, QUIZ) == {}


def test_one_process_holds_a_bounded_number_of_rooms() -> None:
    now = [0.0]
    store = InProcessRoomStore(SECRET, max_rooms=2, ttl_s=10, clock=lambda: now[0])
    store.open("aaaa"), store.open("bbbb")
    with pytest.raises(RoomUnavailable, match="2 rooms are open"):
        store.open("cccc")
    now[0] = 10  # both expired: room for new ones
    assert store.open("cccc")


def test_redis_keys_expire_with_the_room_and_hold_no_voter_id(redis_url: str) -> None:
    import redis

    store = _redis_store(redis_url)
    client = redis.Redis.from_url(redis_url)
    store.open(ROOM)
    store.vote(ROOM, QUIZ, "browser:secret-token", 2)
    store.reveal(ROOM, QUIZ)
    keys = sorted(k.decode() for k in client.keys("*"))
    assert keys == [f"lab:room:{ROOM}", f"lab:room:{ROOM}:{QUIZ}:revealed",
                    f"lab:room:{ROOM}:{QUIZ}:votes"]
    for key in keys:
        assert 0 < client.ttl(key) <= ROOM_TTL_S
    assert client.hgetall(keys[2]) == {voter_key(SECRET, "browser:secret-token").encode(): b"2"}
    client.delete(f"lab:room:{ROOM}")  # the room expired: no more votes or reveals
    assert store.vote(ROOM, QUIZ, "late", 0) == "closed"
    assert store.reveal(ROOM, "other.quiz") is False


def test_redis_ignores_values_it_did_not_write(redis_url: str) -> None:
    import redis

    store = _redis_store(redis_url)
    store.open(ROOM)
    store.vote(ROOM, QUIZ, "a", 1)
    redis.Redis.from_url(redis_url).hset(f"lab:room:{ROOM}:{QUIZ}:votes",
                                         mapping={"x": "99", "y": "<b>", "z": "-1"})
    assert store.counts(ROOM, QUIZ) == {1: 1}


def test_redis_down_is_room_unavailable() -> None:
    pytest.importorskip("redis")
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from labui.cache.rooms import RedisRoomStore

    client = redis.Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2,
                         retry=Retry(NoBackoff(), 0))  # nobody listens there: fail at once
    store = RedisRoomStore(client, SECRET)
    for call in (lambda: store.open(ROOM), lambda: store.vote(ROOM, QUIZ, "a", 0),
                 lambda: store.counts(ROOM, QUIZ), lambda: store.revealed(ROOM, QUIZ)):
        with pytest.raises(RoomUnavailable, match="ConnectionError"):
            call()


def test_codes_are_short_readable_and_valid() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(valid_code(c) and len(c) == 5 and not set(c) & set("01ilo") for c in codes)
    assert len(codes) > 190  # 31⁵ ≈ 29 million codes


def test_the_environment_picks_the_store(monkeypatch, redis_url: str) -> None:
    from labui.cache.rooms import RedisRoomStore

    monkeypatch.delenv("LAB_CACHE_URL", raising=False)
    monkeypatch.setenv("LAB_CACHE_SECRET", "class-secret")
    local = rooms_from_environment()
    assert isinstance(local, InProcessRoomStore)
    assert local.host_key(ROOM) == InProcessRoomStore(b"class-secret").host_key(ROOM)
    monkeypatch.setenv("LAB_CACHE_URL", redis_url)
    shared = rooms_from_environment()
    assert isinstance(shared, RedisRoomStore)
    assert shared.host_key(ROOM) == local.host_key(ROOM)  # every replica agrees
