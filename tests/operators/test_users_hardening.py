"""GongUserOperator hardening: rendered values checked like literal ones, mapped output paths, XCom size
measured like the XCom backend, and no part file left behind on any failure path.

Everything talks HTTP to the Gong emulator; the task instance is a small fake (XCom push and pull).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
from airflow.providers.common.compat.sdk import DAG, XCom, task, task_group
from operator_helpers import DEFER_FAST, EXPIRED, FakeTI, defer, names, task_context

from airflow_provider_gong.exceptions import (
    GongConfigError,
    GongError,
    GongRateLimitError,
    GongResultTooLargeError,
)
from airflow_provider_gong.operators.users import GongUserOperator, xcom_size
from airflow_provider_gong.testing import GongEmulator
from airflow_provider_gong.triggers.rate_limit import DEFERRAL_SLACK, GongRateLimitTrigger
from airflow_provider_gong.version_compat import AIRFLOW_V_3_0_PLUS, ObjectStoragePath

NO_PACE = {"calls_per_second": 0}
CALLS = "gong_calls"


def visible(emulator: GongEmulator) -> list[dict[str, Any]]:
    return [user for user in emulator.users if user["id"] not in emulator.avatar_ids]


def make(**kwargs: Any) -> GongUserOperator:
    kwargs.setdefault("hook_params", NO_PACE)
    return GongUserOperator(task_id="users", **kwargs)


def run(op: GongUserOperator, context: dict[str, Any] | None = None) -> Any:
    """Render the templated fields like a worker does, then execute."""
    ctx: dict[str, Any] = context if context is not None else {}
    op.render_template_fields(ctx)  # type: ignore[arg-type]
    return op.execute(ctx)  # type: ignore[arg-type]


@pytest.fixture
def gong(gong_emulator: GongEmulator, gong_emulator_connection: str) -> GongEmulator:
    return gong_emulator


# ---------------------------------------------------------------------------------------- 1. fields


@pytest.mark.parametrize(
    "template", ["{{ params.fields }}", "{{ params.fields | tojson }}", "{{ params.fields | join(',') }}"]
)
def test_a_templated_fields_list_keeps_those_keys(template: str, gong: GongEmulator) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    op = make(user_ids=ids, fields=template)
    result = run(op, {"params": {"fields": ["id", "emailAddress"]}})
    assert result == [{"id": u["id"], "emailAddress": u["emailAddress"]} for u in visible(gong)[:2]]


def test_a_requested_field_no_record_has_is_named_in_one_warning(
    gong: GongEmulator, gong_logs: list[dict[str, Any]]
) -> None:
    ids = [user["id"] for user in visible(gong)[:3]]
    result = run(make(user_ids=ids, fields=["id", "emailAdress", "mangerId"]))
    assert result == [{"id": uid} for uid in ids]
    warnings = [log for log in gong_logs if log["log_level"] == "warning" and "fields" in log["event"]]
    assert len(warnings) == 1, gong_logs
    assert "emailAdress" in warnings[0]["event"] and "mangerId" in warnings[0]["event"]


@pytest.mark.parametrize(
    "rendered",
    ["{'id': 1}", "[1, 2]", "[['id']]", '{"fields": ["id"]}', "None", "", "id, {{", "[id"],
    ids=["dict", "numbers", "nested", "json-object", "None", "empty", "garbage", "broken-list"],
)
def test_a_rendered_fields_value_that_is_not_a_list_of_names_fails(rendered: str, gong: GongEmulator) -> None:
    op = make(user_ids=[visible(gong)[0]["id"]], fields="{{ params.fields }}")
    with pytest.raises(ValueError, match=r"users: fields .*(list of user keys|rendered to)") as caught:
        run(op, {"params": {"fields": rendered}})
    assert repr(rendered)[:20] in str(caught.value) or rendered == ""
    assert gong.stats()[CALLS] == 0


# ---------------------------------------------------------------------------------------- 3. user_ids


@pytest.mark.parametrize(
    ("rendered", "native"),
    [(None, True), ("", False), ("None", False), ("  ", False), ("null", False)],
    ids=["None", "empty", "None-text", "blank", "null-text"],
)
def test_user_ids_rendering_to_nothing_fails_naming_the_task_and_the_value(
    rendered: Any, native: bool, gong: GongEmulator
) -> None:
    start = pendulum.datetime(2024, 1, 1)
    with DAG("d", schedule=None, start_date=start, render_template_as_native_obj=native):
        op = make(user_ids="{{ params.user_ids }}")
    with pytest.raises(ValueError) as caught:
        run(op, {"params": {"user_ids": rendered}})
    message = str(caught.value)
    assert message.startswith("users:"), message
    assert repr(rendered) in message
    assert "{{ params.user_ids }}" in message
    assert "user_ids=None" in message  # how to ask for all users on purpose
    assert gong.stats()[CALLS] == 0


def test_user_ids_rendering_to_json_null_fails_like_none(gong: GongEmulator) -> None:
    op = make(user_ids="{{ params.none | tojson }}")
    with pytest.raises(ValueError) as caught:
        run(op, {"params": {"none": None}})
    message = str(caught.value)
    assert message.startswith("users: user_ids '{{ params.none | tojson }}' rendered to 'null'"), message
    assert "user_ids=None" in message
    assert gong.stats()[CALLS] == 0


def test_an_xcomarg_returning_nothing_fails_instead_of_fetching_every_user(gong: GongEmulator) -> None:
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):

        @task
        def choose() -> None:
            """Forgot to return the ids."""

        op = make(user_ids=choose())
    with pytest.raises(ValueError, match=r"users: user_ids .*None") as caught:
        run(op, task_context(FakeTI(pulled=None)))
    assert "choose" in str(caught.value)
    assert gong.stats()[CALLS] == 0


def test_a_rendered_empty_list_returns_nothing_without_a_call(gong: GongEmulator) -> None:
    op = make(user_ids="{{ params.user_ids | tojson }}")
    assert run(op, {"params": {"user_ids": []}}) == []
    assert gong.stats()[CALLS] == 0


@pytest.mark.gong_emulator(users=30)
def test_a_literal_none_or_no_user_ids_still_means_every_user(gong: GongEmulator) -> None:
    assert len(run(make(user_ids=None))) == len(visible(gong))
    assert len(run(make())) == len(visible(gong))


# ---------------------------------------------------------------------------------------- 4. mapped output


def _mapped_run(mapped: Any, dag: DAG, map_index: int) -> Any:
    """Unmap and render a mapped task for one map index like a worker does, then execute it."""
    context = task_context(FakeTI(map_index=map_index), dag=dag, dag_run=SimpleNamespace(conf={}), params={})
    mapped.render_template_fields(context)
    return context["task"].execute(context)


def test_a_mapped_task_sharing_one_output_path_fails_before_fetching(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(
            task_id="users", output_path=f"file://{tmp_path}/users.jsonl", hook_params=NO_PACE
        ).expand(user_ids=[[ids[0]], [ids[1]]])
    for map_index in (0, 1):
        with pytest.raises(ValueError, match=r"\{\{ ti\.map_index \}\}") as caught:
            _mapped_run(mapped, dag, map_index)
        assert "output_path" in str(caught.value) and "overwrite" in str(caught.value)
    assert gong.stats()[CALLS] == 0
    assert list(tmp_path.iterdir()) == []


def test_a_mapped_task_with_the_map_index_in_its_path_writes_one_file_each(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(
            task_id="users",
            output_path=f"file://{tmp_path}/users-{{{{ ti.map_index }}}}.jsonl",
            fields=["id"],
        ).expand(user_ids=[[ids[0]], [ids[1]]])
    for map_index in (0, 1):
        result = _mapped_run(mapped, dag, map_index)
        assert result == {"path": f"file://{tmp_path}/users-{map_index}.jsonl", "count": 1}
    assert [json.loads((tmp_path / f"users-{n}.jsonl").read_text()) for n in (0, 1)] == [
        {"id": i} for i in ids
    ]


def test_a_mapped_output_path_of_its_own_is_fine(gong: GongEmulator, tmp_path: Path) -> None:
    ids = [user["id"] for user in visible(gong)[:1]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(task_id="users", user_ids=ids, fields=["id"]).expand(
            output_path=[f"file://{tmp_path}/a.jsonl", f"file://{tmp_path}/b.jsonl"]
        )
    assert _mapped_run(mapped, dag, 1) == {"path": f"file://{tmp_path}/b.jsonl", "count": 1}


# ------------------------------------------------------------------------------ 4b. mapped user_ids of None

NOTHING = [None, "", "None", "null"]


#: Airflow 2 counts the map indexes of ``expand(user_ids=xcom_arg)`` from the ``task_map`` rows of its
#: metadata database (``XComArg.get_task_map_length``), which a unit test has not; the Task SDK counts the
#: pulled list. On Airflow 2 a real run covers it: test_users_airflow_run.py::
#: test_a_mapped_user_ids_of_none_fails_instead_of_fetching_every_user (task ``m_xcom``, each of NOTHING).
XCOM_MAPPED = pytest.param(
    "xcom",
    marks=pytest.mark.skipif(
        not AIRFLOW_V_3_0_PLUS,
        reason="Airflow 2 sizes an XComArg-mapped task from the task_map table of its metadata database; "
        "covered by test_users_airflow_run.py::test_a_mapped_user_ids_of_none_fails_instead_of_fetching_"
        "every_user",
    ),
)


@pytest.mark.parametrize("nothing", NOTHING, ids=repr)
@pytest.mark.parametrize("source", ["literal", XCOM_MAPPED, "expand_kwargs"])
def test_a_mapped_user_ids_of_nothing_fails_naming_the_task_and_the_map_index(
    source: str, nothing: Any, gong: GongEmulator
) -> None:
    ids = [visible(gong)[0]["id"]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        partial = GongUserOperator.partial(task_id="users", fields=["id"], hook_params=NO_PACE)
        if source == "literal":
            mapped = partial.expand(user_ids=[nothing, ids])
        elif source == "expand_kwargs":
            mapped = partial.expand_kwargs([{"user_ids": nothing}, {"user_ids": ids}])
        else:

            @task
            def give_mapped() -> list[Any]:
                return [nothing, ids]

            mapped = partial.expand(user_ids=give_mapped())
    pulled = [nothing, ids]
    context = task_context(
        FakeTI(map_index=0, pulled=pulled), dag=dag, params={}, dag_run=SimpleNamespace(conf={})
    )
    mapped.render_template_fields(context)
    with pytest.raises(ValueError) as caught:
        context["task"].execute(context)
    message = str(caught.value)
    assert message.startswith("users: map index 0:"), message
    assert f"user_ids {nothing!r}" in message
    assert "unmapped task with user_ids=None" in message  # how to fetch every user on purpose
    assert gong.stats()[CALLS] == 0
    context = task_context(
        FakeTI(map_index=1, pulled=pulled), dag=dag, params={}, dag_run=SimpleNamespace(conf={})
    )
    mapped.render_template_fields(context)
    assert context["task"].execute(context) == [{"id": ids[0]}]


def test_a_mapped_bad_user_id_names_the_task_and_the_map_index(gong: GongEmulator) -> None:
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(task_id="users", hook_params=NO_PACE).expand(user_ids=[["12a"]])
    with pytest.raises(ValueError) as caught:
        _mapped_run(mapped, dag, 0)
    assert str(caught.value).startswith("users: map index 0: 1 invalid Gong user id(s): [0]"), caught.value
    assert gong.stats()[CALLS] == 0


def test_a_bad_literal_user_id_in_a_dag_fails_at_parse_time_naming_the_task() -> None:
    with (
        DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)),
        pytest.raises(
            ValueError, match=r"^users: 1 invalid Gong user id\(s\): \[0\] Invalid Gong user id '12a'"
        ),
    ):
        GongUserOperator(task_id="users", user_ids=["12a"])


@pytest.mark.gong_emulator(users=30)
def test_a_mapped_task_that_does_not_map_user_ids_may_still_fetch_every_user(gong: GongEmulator) -> None:
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(task_id="users", fields=["id"], hook_params=NO_PACE).expand(
            include_avatars=[False]
        )
    assert _mapped_run(mapped, dag, 0) == [{"id": user["id"]} for user in visible(gong)]


def test_a_mapped_task_group_argument_of_none_names_the_map_index(gong: GongEmulator) -> None:
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

        @task_group
        def per_ids(ids: Any) -> None:
            GongUserOperator(task_id="users", user_ids=ids, hook_params=NO_PACE)

        per_ids.expand(ids=[None])
    op = dag.task_dict["per_ids.users"]
    context = task_context(FakeTI(map_index=0), dag=dag, params={}, expanded_ti_count=1)
    op.render_template_fields(context)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as caught:
        op.execute(context)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("per_ids.users: map index 0: user_ids"), message
    assert "rendered to None" in message
    assert gong.stats()[CALLS] == 0


# ------------------------------------------------------------------------- 4c. mapped output, shared anyway


def _assert_overwrite_refused(mapped: Any, dag: DAG, map_indexes: Sequence[int], gong: GongEmulator) -> None:
    for map_index in map_indexes:
        with pytest.raises(ValueError, match=r"\{\{ ti\.map_index \}\}") as caught:
            _mapped_run(mapped, dag, map_index)
        message = str(caught.value)
        assert message.startswith(f"users: map index {map_index} would overwrite"), message
        assert "output_path" in message
    assert gong.stats()[CALLS] == 0


def test_an_output_path_from_default_args_shared_by_the_map_indexes_fails(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    default_args = {"output_path": f"{tmp_path}/dflt.jsonl"}
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1), default_args=default_args) as dag:
        mapped = GongUserOperator.partial(task_id="users", hook_params=NO_PACE).expand(
            user_ids=[[ids[0]], [ids[1]]]
        )
    _assert_overwrite_refused(mapped, dag, (0, 1), gong)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["expand", "expand_kwargs", "object-storage-path"])
def test_a_literal_mapped_output_path_list_with_duplicates_fails(
    how: str, gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:3]]
    path, other = f"file://{tmp_path}/users.jsonl", f"file://{tmp_path}/other.jsonl"
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        if how == "expand_kwargs":
            mapped = GongUserOperator.partial(task_id="users", hook_params=NO_PACE).expand_kwargs(
                [{"user_ids": [i], "output_path": p} for i, p in zip(ids, (path, other, path), strict=True)]
            )
        else:
            paths: list[Any] = [path, other, path]
            if how == "object-storage-path":
                paths = [ObjectStoragePath(p) for p in paths]
            mapped = GongUserOperator.partial(task_id="users", user_ids=ids[:1], hook_params=NO_PACE).expand(
                output_path=paths
            )
    _assert_overwrite_refused(mapped, dag, (0, 2), gong)
    assert _mapped_run(mapped, dag, 1) == {"path": other, "count": 1}  # its file is its own


def test_a_mapped_output_path_list_crossed_with_another_mapped_list_fails(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(task_id="users", hook_params=NO_PACE).expand(
            user_ids=[[ids[0]], [ids[1]]],
            output_path=[f"file://{tmp_path}/a.jsonl", f"file://{tmp_path}/b.jsonl"],
        )  # 4 map indexes, 2 files
    _assert_overwrite_refused(mapped, dag, (0, 1, 2, 3), gong)


def test_expand_kwargs_naming_output_path_only_in_some_dicts_is_shared(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:3]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(
            task_id="users", output_path=f"file://{tmp_path}/shared.jsonl", hook_params=NO_PACE
        ).expand_kwargs(
            [{"user_ids": [ids[0]], "output_path": f"file://{tmp_path}/own.jsonl"}]
            + [{"user_ids": [i]} for i in ids[1:]]
        )
    _assert_overwrite_refused(mapped, dag, (1, 2), gong)


def test_expand_kwargs_giving_each_map_index_its_own_path_is_fine(gong: GongEmulator, tmp_path: Path) -> None:
    ids = [user["id"] for user in visible(gong)[:2]]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
        mapped = GongUserOperator.partial(task_id="users", fields=["id"], hook_params=NO_PACE).expand_kwargs(
            [{"user_ids": [i], "output_path": f"file://{tmp_path}/u{n}.jsonl"} for n, i in enumerate(ids)]
        )
    for map_index in (0, 1):
        assert _mapped_run(mapped, dag, map_index)["count"] == 1
    assert names(tmp_path) == ["u0.jsonl", "u1.jsonl"]


def test_expand_kwargs_from_an_xcomarg_cannot_be_told_apart_and_is_allowed(
    gong: GongEmulator, tmp_path: Path
) -> None:
    ids = [user["id"] for user in visible(gong)[:1]]
    kwargs = [{"user_ids": ids, "output_path": f"file://{tmp_path}/x.jsonl"}]
    with DAG("d", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:

        @task
        def give_kwargs() -> list[dict[str, Any]]:
            return kwargs

        mapped = GongUserOperator.partial(task_id="users", fields=["id"], hook_params=NO_PACE).expand_kwargs(
            give_kwargs()
        )
    context = task_context(
        FakeTI(map_index=0, pulled=kwargs), dag=dag, params={}, dag_run=SimpleNamespace(conf={})
    )
    mapped.render_template_fields(context)
    assert context["task"].execute(context) == {"path": f"file://{tmp_path}/x.jsonl", "count": 1}


# ---------------------------------------------------------------------------------------- 7, 8. deferrals


def test_every_deferral_has_a_deadline_past_gongs_wait(gong: GongEmulator, tmp_path: Path) -> None:
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "3600"})
    op = make(output_path=f"file://{tmp_path}/users.jsonl", deferrable=True, hook_params=DEFER_FAST)
    deferred = defer(op, {})
    trigger = deferred.trigger
    assert isinstance(trigger, GongRateLimitTrigger)
    assert trigger.resume_at is not None and trigger.give_up_at is not None
    resume_at = datetime.fromisoformat(trigger.resume_at)
    give_up_at = datetime.fromisoformat(trigger.give_up_at)
    assert give_up_at - resume_at == pytest.approx(
        timedelta(seconds=DEFERRAL_SLACK), abs=timedelta(seconds=5)
    )
    assert deferred.timeout is not None
    assert deferred.timeout >= timedelta(seconds=3600 + DEFERRAL_SLACK)


def test_a_retry_after_of_centuries_defers_for_a_day_at_most(gong: GongEmulator, tmp_path: Path) -> None:
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "99999999999999"})
    op = make(output_path=f"file://{tmp_path}/users.jsonl", deferrable=True, hook_params=DEFER_FAST)
    deferred = defer(op, {})
    assert isinstance(deferred.trigger, GongRateLimitTrigger)
    assert deferred.trigger.resume_at is not None
    resume_at = datetime.fromisoformat(deferred.trigger.resume_at)
    assert resume_at - datetime.now(UTC) <= timedelta(hours=24)
    assert deferred.timeout is not None and deferred.timeout <= timedelta(hours=25)


def test_a_timeout_event_fails_with_a_rate_limit_error_and_removes_the_parts(
    gong: GongEmulator, tmp_path: Path, run_trigger: Any
) -> None:
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "1"})
    op = make(output_path=f"file://{tmp_path}/users.jsonl", deferrable=True, hook_params=DEFER_FAST)
    deferred = defer(op, {})
    assert len(list(tmp_path.iterdir())) >= 1  # the first page waits in a part file
    gong.fail_next({"status": 429, "retry_after": "86400"})  # the probe: the daily quota is spent
    [event] = run_trigger(deferred.trigger)
    assert event["status"] == "timeout"

    with pytest.raises(GongRateLimitError) as caught:
        op.execute_complete({}, event)  # type: ignore[arg-type]

    message = str(caught.value)
    assert "deadline" in message and "clear the task" in message
    assert caught.value.retry_after is not None and caught.value.retry_after > 3600
    assert list(tmp_path.iterdir()) == []


class _TriggererUnreachable(GongUserOperator):
    """Deferring fails after the part was written (e.g. the trigger cannot be built or serialised)."""

    def defer(self, **kwargs: Any) -> Any:  # type: ignore[override]
        raise RuntimeError("cannot defer")


def test_a_failure_after_the_part_is_written_leaves_nothing_behind(
    gong: GongEmulator, tmp_path: Path
) -> None:
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "60"})
    op = _TriggererUnreachable(
        task_id="users", output_path=f"file://{tmp_path}/users.jsonl", deferrable=True, hook_params=DEFER_FAST
    )
    with pytest.raises(RuntimeError, match="cannot defer"):
        run(op)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------- 13. parse time


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"fields": []}, "fields"),
        ({"fields": 123}, "fields"),
        ({"fields": ["id", 5]}, "fields"),
        ({"include_avatars": "yes"}, "include_avatars"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_to": 20240101}, "created_to"),
        ({"created_from": "2024-02-01", "created_to": "2024-01-01"}, "must be before"),
        ({"hook_params": {"max_retry": 3}}, "max_retry"),
        ({"hook_params": {"max_retry_wait": -1}}, "max_retry_wait"),
        ({"hook_params": {"max_retries": 10**9}}, "max_retries"),
        ({"output_path": 123}, "output_path"),
        ({"output_path": "users.jsonl"}, "relative"),
        ({"output_path": "data/users.jsonl"}, "relative"),
        ({"output_path": "file://data/users.jsonl"}, "relative"),
        ({"deferrable": "no"}, "deferrable"),
        ({"gong_conn_id": ""}, "gong_conn_id"),
        ({"user_ids": ["12a"]}, "1 invalid Gong user id(s): [0] Invalid Gong user id '12a'"),
        ({"user_ids": "12a, 7"}, "[0] Invalid Gong user id '12a'"),
        ({"user_ids": True}, "Invalid Gong user ids True"),
        ({"user_ids": ""}, "the string is empty"),
    ],
    ids=repr,
)
def test_literal_arguments_are_checked_when_the_dag_is_parsed(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError) as caught:
        GongUserOperator(task_id="users", **kwargs)
    message = str(caught.value)
    assert message.startswith("users:"), message
    assert words in message


def test_a_misspelled_hook_params_key_is_a_config_error() -> None:
    with pytest.raises(GongConfigError, match=r"unknown hook_params key\(s\) \['timout'\]"):
        GongUserOperator(task_id="users", hook_params={"timout": 5})


@pytest.mark.parametrize(
    "output_path", ["file:///data/users.jsonl", "/data/users.jsonl", "s3://bucket/gong/users.jsonl"]
)
def test_absolute_paths_and_uris_are_fine(output_path: str) -> None:
    assert GongUserOperator(task_id="users", output_path=output_path).output_path == output_path


@pytest.mark.parametrize(
    ("field", "rendered", "words"),
    [
        ("fields", 123, "fields"),
        ("created_from", "yesterday", "created_from"),
        ("created_to", "soon", "created_to"),
        ("output_path", "users.jsonl", "relative"),
        ("output_path", 123, "output_path"),
    ],
)
def test_rendered_values_are_checked_with_the_same_rules_before_any_call(
    field: str, rendered: Any, words: str, gong: GongEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with DAG(
        "d", schedule=None, start_date=pendulum.datetime(2024, 1, 1), render_template_as_native_obj=True
    ):
        op = make(user_ids=[visible(gong)[0]["id"]], **{field: "{{ params.value }}"})
    with pytest.raises(ValueError) as caught:
        run(op, {"params": {"value": rendered}})
    assert str(caught.value).startswith("users:") and words in str(caught.value)
    assert gong.stats()[CALLS] == 0
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------- 14. XCom size


def stored(value: Any) -> bytes:
    """
    What the metadata database keeps of an XCom value: on Airflow 3 its JSON column holds the XCom
    serialisation, written by ``json.dumps``; on Airflow 2 the serialisation is the bytes of its binary
    column. (A real push is measured in test_users_airflow_run.py.)
    """
    if AIRFLOW_V_3_0_PLUS:
        return json.dumps(XCom.serialize_value(value)).encode()
    serialised = XCom.serialize_value(value)
    assert isinstance(serialised, bytes), serialised
    return serialised


def test_the_size_is_measured_with_the_xcom_backends_serialisation(gong: GongEmulator) -> None:
    users = visible(gong)[:50]
    assert xcom_size(users) == len(stored(users))
    assert xcom_size([]) == len(stored([]))
    assert xcom_size(users) > len(json.dumps(users, separators=(",", ":")))


def test_a_result_exactly_at_the_limit_passes_and_one_byte_over_fails(gong: GongEmulator) -> None:
    ids = [user["id"] for user in visible(gong)[:20]]
    exact = len(stored(run(make(user_ids=ids))))
    assert len(run(make(user_ids=ids, max_xcom_bytes=exact))) == 20
    with pytest.raises(GongResultTooLargeError, match="over max_xcom_bytes"):
        run(make(user_ids=ids, max_xcom_bytes=exact - 1))


@pytest.mark.gong_emulator(users=400)
def test_the_xcom_limit_fails_as_soon_as_the_running_size_passes_it(gong: GongEmulator) -> None:
    with pytest.raises(GongResultTooLargeError, match=r"over max_xcom_bytes \(20,000\)") as caught:
        run(make(max_xcom_bytes=20_000))
    assert "output_path" in str(caught.value)
    assert gong.stats()[CALLS] == 1  # stopped within the first page, not after fetching all 4


# ---------------------------------------------------------------------------------------- 17. stale parts


def test_a_new_try_removes_the_parts_an_earlier_deferred_try_left(gong: GongEmulator, tmp_path: Path) -> None:
    gong.configure(users=250)
    target = tmp_path / "users.jsonl"
    gong.fail_next({"fault": "pass"}, {"status": 429, "retry_after": "60"})
    first = make(output_path=f"file://{target}", deferrable=True, hook_params=DEFER_FAST, fields=["id"])
    defer(first, {})  # then the task is cleared: execute_complete never runs
    stale = [name for name in names(tmp_path) if ".part" in name]
    assert stale
    unrelated = [".users.jsonl.notatoken.part0000", ".other.jsonl.0123456789abcdef0123456789abcdef.part0000"]
    for name in [*unrelated, "users.jsonl.bak"]:
        (tmp_path / name).write_text("keep me\n")

    result = run(make(output_path=f"file://{target}", fields=["id"]))

    assert result == {"path": f"file://{target}", "count": len(visible(gong))}
    assert names(tmp_path) == sorted([*unrelated, "users.jsonl", "users.jsonl.bak"])


def test_on_kill_removes_the_parts_of_the_running_fetch(gong: GongEmulator, tmp_path: Path) -> None:
    gong.configure(users=250)
    gong.fail_next({"fault": "pass"}, {"fault": "pass", "delay": 2.0})  # page 2 answers slowly
    op = make(output_path=f"file://{tmp_path}/users.jsonl")
    op.render_template_fields({})  # type: ignore[arg-type]
    seen: dict[str, list[str]] = {}

    def kill() -> None:
        """What the worker does on SIGTERM while the fetch waits for page 2: ``on_kill``."""
        deadline = time.monotonic() + 10
        while not any(".part" in name for name in names(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["before"] = names(tmp_path)
        op.on_kill()
        seen["after"] = names(tmp_path)

    # The fetch runs on the main thread, as in a worker: Airflow 2's guard of ``execute`` (its
    # ExecutorSafeguard) keeps its state per thread and fails an ``execute`` called on another one.
    killer = threading.Thread(target=kill)
    killer.start()
    try:
        with pytest.raises(GongError, match="being killed"):  # a killed fetch must not complete
            op.execute({})  # type: ignore[arg-type]
    finally:
        killer.join(10)
    assert seen["before"], "page 1 was not written"
    assert seen["after"] == []
    assert names(tmp_path) == []


# ---------------------------------------------------------------------------------------- 2. expired cursor


@pytest.mark.parametrize("fields", [None, ["id", "emailAddress"], ["emailAddress"]], ids=repr)
@pytest.mark.parametrize("sink", ["xcom", "file"])
def test_a_listing_whose_cursor_expired_during_the_deferral_restarts_and_has_every_user_once(
    sink: str, fields: list[str] | None, gong: GongEmulator, tmp_path: Path, run_trigger: Any
) -> None:
    gong.configure(users=250)  # 245 listed users: pages of 100, 100, 45
    expected = visible(gong) if fields is None else [{k: u[k] for k in fields} for u in visible(gong)]
    target = tmp_path / "users.jsonl"
    output = {"output_path": f"file://{target}"} if sink == "file" else {}
    op = make(deferrable=True, hook_params=DEFER_FAST, fields=fields, **output)
    ti = FakeTI()
    gong.fail_next({"fault": "pass"}, {"fault": "pass"}, {"status": 429, "retry_after": "1"})
    deferred = defer(op, {"ti": ti})
    assert deferred.trigger.payload["count"] == 200
    [event] = run_trigger(deferred.trigger)
    assert event["status"] == "ok"
    gong.fail_next(EXPIRED)  # Gong forgot the cursor kept across the wait

    result = op.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]

    if sink == "file":
        assert result == {"path": f"file://{target}", "count": len(expected)}
        users = [json.loads(line) for line in target.read_text().splitlines()]
        assert names(tmp_path) == ["users.jsonl"]
    else:
        users = result
    assert users == expected  # every user once, in Gong's order
    # Pages 1-2, the 429 on page 3, the probe, the 400, then pages 1-3 (the first two only to skip them).
    by_status = gong.stats()["by_endpoint"]["GET /v2/users"]
    assert by_status == {"200": 2 + 1 + 3, "429": 1, "400": 1}
