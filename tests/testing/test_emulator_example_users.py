"""The README's example users: served first by every emulator, whatever its seed, without changing N."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_gong.testing import GongEmulator, UserDirectory, generate_users
from airflow_provider_gong.testing.users import EXAMPLE_USER_IDS

README_IDS = ("234599484848423", "987")


def test_the_example_ids_are_the_readmes() -> None:
    assert EXAMPLE_USER_IDS == README_IDS


@pytest.mark.parametrize("seed", [0, 1, 42])
@pytest.mark.parametrize("avatar_share", [0.0, 0.02, 1.0])
def test_every_seed_serves_the_examples_first_as_active_non_avatars(seed: int, avatar_share: float) -> None:
    directory = UserDirectory(250, seed, avatar_share)
    users = directory.users()
    assert len(users) == 250
    assert len(set(directory.ids)) == 250
    assert tuple(user["id"] for user in users[:2]) == README_IDS
    assert all(user["active"] for user in users[:2])
    assert not directory.avatar_ids & set(README_IDS)
    assert len(directory.avatar_ids) == min(round(250 * avatar_share), 248)


@pytest.mark.parametrize(
    ("count", "examples"), [(0, ()), (1, README_IDS[:1]), (2, README_IDS), (3, README_IDS)]
)
def test_small_emulators_keep_their_user_count(count: int, examples: tuple[str, ...]) -> None:
    ids = [user["id"] for user in generate_users(count, seed=5)]
    assert len(ids) == count
    assert tuple(ids[: len(examples)]) == examples


def test_other_users_still_depend_on_the_seed() -> None:
    assert generate_users(20, seed=1)[2:] != generate_users(20, seed=2)[2:]


@pytest.mark.gong_emulator(users=250, seed=9)
def test_the_examples_answer_over_http(gong: Any, gong_emulator: GongEmulator) -> None:
    for user_id in README_IDS:
        response = gong.get(f"/v2/users/{user_id}")
        assert response.status_code == 200, response.text
        assert response.json()["user"]["id"] == user_id
    found = gong.post("/v2/users/extensive", json={"filter": {"userIds": list(README_IDS)}}).json()
    assert [user["id"] for user in found["users"]] == list(README_IDS)
    listed = gong.get("/v2/users").json()
    assert [user["id"] for user in listed["users"][:2]] == list(README_IDS)
    assert listed["records"]["totalRecords"] == 250 - len(gong_emulator.avatar_ids)
