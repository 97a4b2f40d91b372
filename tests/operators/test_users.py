"""GongUserOperator against the Gong emulator: accepted forms of user_ids, XCom size, output_path, fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_gong.exceptions import GongNotFoundError, GongResultTooLargeError
from airflow_provider_gong.operators.users import DEFAULT_MAX_XCOM_BYTES, GongUserOperator
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.version_compat import ObjectStoragePath

NO_PACE = {"calls_per_second": 0}


def ids_of(emulator: GongEmulator, count: int) -> list[str]:
    return [user["id"] for user in emulator.users if user["id"] not in emulator.avatar_ids][:count]


def run(op: GongUserOperator, context: dict[str, Any] | None = None) -> Any:
    """Render the templated fields like a worker does, then execute."""
    ctx: dict[str, Any] = context or {}
    op.render_template_fields(ctx)  # type: ignore[arg-type]
    return op.execute(ctx)  # type: ignore[arg-type]


@pytest.fixture
def ids(gong_emulator: GongEmulator, gong_emulator_connection: str) -> list[str]:
    return ids_of(gong_emulator, 5)


def make(**kwargs: Any) -> GongUserOperator:
    kwargs.setdefault("hook_params", NO_PACE)
    return GongUserOperator(task_id="users", **kwargs)


# ------------------------------------------------------------------------------------ accepted forms


@pytest.mark.parametrize(
    "form",
    ["str", "int", "list", "tuple", "comma", "spaces", "comma-spaces", "json", "python-repr", "mixed-list"],
)
def test_every_accepted_form_returns_users_in_input_order(
    form: str, ids: list[str], gong_emulator: GongEmulator
) -> None:
    chosen = [ids[3], ids[0], ids[2]]
    value: Any = {
        "str": chosen[0],
        "int": int(chosen[0]),
        "list": chosen,
        "tuple": tuple(chosen),
        "comma": ",".join(chosen),
        "spaces": " ".join(chosen),
        "comma-spaces": f" {chosen[0]} , {chosen[1]},\n{chosen[2]} ",
        "json": json.dumps(chosen),
        "python-repr": repr(chosen),
        "mixed-list": [int(chosen[0]), chosen[1], f" {chosen[2]}"],
    }[form]
    expected = chosen[:1] if form in ("str", "int") else chosen
    result = run(make(user_ids=value))
    assert isinstance(result, list)
    assert [user["id"] for user in result] == expected
    assert gong_emulator.stats()["gong_calls"] == 1


def test_template_rendering_to_a_json_list(ids: list[str], gong_emulator: GongEmulator) -> None:
    op = make(user_ids="{{ params.user_ids | tojson }}")
    result = run(op, {"params": {"user_ids": ids[:2]}})
    assert [user["id"] for user in result] == ids[:2]


def test_template_rendering_to_a_python_list(ids: list[str]) -> None:
    op = make(user_ids="{{ params.user_ids }}")
    result = run(op, {"params": {"user_ids": ids[:3]}})
    assert [user["id"] for user in result] == ids[:3]


@pytest.mark.gong_emulator(users=150)
def test_none_means_all_users(gong_emulator: GongEmulator, gong_emulator_connection: str) -> None:
    result = run(make(user_ids=None))
    assert result == [user for user in gong_emulator.users if user["id"] not in gong_emulator.avatar_ids]


def test_empty_list_fetches_nothing(gong_emulator: GongEmulator, gong_emulator_connection: str) -> None:
    assert run(make(user_ids=[])) == []
    assert run(make(user_ids="[]")) == []
    assert gong_emulator.stats()["gong_calls"] == 0


def test_duplicates_are_returned_once(ids: list[str]) -> None:
    result = run(make(user_ids=[ids[1], ids[0], ids[1]]))
    assert [user["id"] for user in result] == [ids[1], ids[0]]


def test_missing_ids_fail_by_default_and_skip_on_request(ids: list[str]) -> None:
    unknown = "99999999999999999"
    with pytest.raises(GongNotFoundError, match=unknown):
        run(make(user_ids=[ids[0], unknown]))
    result = run(make(user_ids=[ids[0], unknown], missing="skip"))
    assert [user["id"] for user in result] == [ids[0]]


# ------------------------------------------------------------------------------------ rejected forms


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "the string is empty"),
        (" , ", "no id in the string"),
        ("12a", "Gong user ids are 1-20 digits only"),
        ("-5", "Gong user ids are 1-20 digits only"),
        (1.5, "got float"),
        (True, "got bool"),
        ("1" * 21, "21 digits"),
        ([["1"]], "got list"),
        (["1", None], "got NoneType"),
        ({"id": "1"}, "got dict"),
        ("[1, 2", "does not parse as JSON"),
        ('{"a": 1}', "Gong user ids are 1-20 digits only"),
    ],
)
def test_literal_bad_ids_fail_when_the_dag_is_parsed(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GongUserOperator(task_id="users", user_ids=value)


@pytest.mark.parametrize(
    ("rendered", "message"),
    [
        ("oops, 12", "Invalid Gong user id 'oops'"),
        ("", "the string is empty"),
        ("None", "Invalid Gong user id 'None'"),
        ("{'a': 1}", "Gong user ids are 1-20 digits only"),
        ("[1, [2]]", "got list"),
    ],
)
def test_a_template_rendering_to_garbage_fails_before_any_request(
    rendered: str, message: str, gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    op = make(user_ids="{{ params.user_ids }}")
    with pytest.raises(ValueError, match=message):
        run(op, {"params": {"user_ids": rendered}})
    assert gong_emulator.stats()["gong_calls"] == 0


def test_bad_operator_options() -> None:
    with pytest.raises(ValueError, match="missing must be 'raise' or 'skip'"):
        GongUserOperator(task_id="users", missing="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_xcom_bytes must be a whole number"):
        GongUserOperator(task_id="users", max_xcom_bytes=-1)
    with pytest.raises(ValueError, match="fields must be a non-empty list of user keys"):
        run(make(user_ids=[], fields=[1, 2]))  # type: ignore[list-item]


@pytest.mark.parametrize("fields", ["", " , ", [], {"id": 1}])
def test_empty_or_odd_fields_fail_instead_of_emptying_every_user(
    fields: Any, ids: list[str], gong_emulator: GongEmulator
) -> None:
    with pytest.raises(
        ValueError, match=r"fields must be a non-empty list of user keys .*\(None keeps every key\)"
    ):
        run(make(user_ids=ids[:1], fields=fields))
    assert gong_emulator.stats()["gong_calls"] == 0


# ------------------------------------------------------------------------------------ fields and XCom


def test_fields_keep_only_those_keys(ids: list[str]) -> None:
    result = run(make(user_ids=ids[:2], fields=["id", "emailAddress", "notAField"]))
    assert [set(user) for user in result] == [{"id", "emailAddress"}] * 2


def test_fields_as_a_templated_string(ids: list[str]) -> None:
    result = run(make(user_ids=ids[:1], fields="id, active"))
    assert set(result[0]) == {"id", "active"}


@pytest.mark.gong_emulator(users=400)
def test_a_result_over_the_xcom_threshold_fails_and_names_output_path(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    op = make(user_ids=None, max_xcom_bytes=50_000)
    with pytest.raises(
        GongResultTooLargeError, match=r"over max_xcom_bytes \(50,000\).*output_path"
    ) as caught:
        run(op)
    assert "fields=" in str(caught.value)
    assert DEFAULT_MAX_XCOM_BYTES == 1024 * 1024


@pytest.mark.gong_emulator(users=400)
def test_fields_bring_a_large_result_under_the_threshold(
    gong_emulator: GongEmulator, gong_emulator_connection: str
) -> None:
    result = run(make(user_ids=None, max_xcom_bytes=50_000, fields=["id"]))
    assert len(result) == len([u for u in gong_emulator.users if u["id"] not in gong_emulator.avatar_ids])


@pytest.mark.gong_emulator(users=400)
def test_output_path_writes_json_lines_and_returns_path_and_count(
    gong_emulator: GongEmulator, gong_emulator_connection: str, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "2024-01-01" / "users.jsonl"
    op = make(user_ids=None, max_xcom_bytes=10, output_path=f"file://{tmp_path}/out/{{{{ ds }}}}/users.jsonl")
    result = run(op, {"ds": "2024-01-01"})
    expected = [u for u in gong_emulator.users if u["id"] not in gong_emulator.avatar_ids]
    assert result == {"path": f"file://{target}", "count": len(expected)}
    lines = target.read_text().splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert sorted(p.name for p in target.parent.iterdir()) == ["users.jsonl"], "no partial file left behind"


def test_output_path_as_object_storage_path(ids: list[str], tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/users.jsonl")
    result = run(make(user_ids=ids[:3], output_path=target, fields=["id"]))
    assert result == {"path": str(target), "count": 3}
    assert (tmp_path / "users.jsonl").read_text().splitlines() == [
        json.dumps({"id": i}).replace(" ", "") for i in ids[:3]
    ]


def test_a_failed_fetch_writes_nothing(ids: list[str], tmp_path: Path) -> None:
    with pytest.raises(GongNotFoundError):
        run(make(user_ids=[ids[0], "99999999999999999"], output_path=f"file://{tmp_path}/users.jsonl"))
    assert list(tmp_path.iterdir()) == [], "neither the target nor a partial file may remain"


def test_a_failed_fetch_keeps_an_earlier_file(ids: list[str], tmp_path: Path) -> None:
    target = tmp_path / "users.jsonl"
    target.write_text("previous run\n")
    with pytest.raises(GongNotFoundError):
        run(make(user_ids=[ids[0], "99999999999999999"], output_path=f"file://{target}"))
    assert target.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["users.jsonl"]


def test_template_fields() -> None:
    assert set(GongUserOperator.template_fields) >= {"user_ids", "fields", "output_path"}
