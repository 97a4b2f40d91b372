"""The sinks on their own: the XCom backend parts are deleted through, parts found without a payload, and
file parts read back for their ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow_compat import resolve_xcom_backend
from gong_recording_xcom import RecordingXCom

from airflow_provider_gong.exceptions import GongError
from airflow_provider_gong.operators.sinks import FileSink, remove_kept_parts, xcom_backend
from airflow_provider_gong.version_compat import BaseXCom, ObjectStoragePath


def nested_id(record: Any) -> str | None:
    return record.get("metaData", {}).get("id")


class TaskInstance:
    dag_id, task_id, run_id, map_index = "d", "t", "r", 3

    def __init__(self, xcoms: dict[str, Any]) -> None:
        self.xcoms = xcoms

    def xcom_pull(self, task_ids: str, key: str, map_indexes: int) -> Any:
        assert (task_ids, map_indexes) == (self.task_id, self.map_index)
        return self.xcoms.get(key)


@pytest.mark.parametrize("configured", [None, "gong_recording_xcom.RecordingXCom"])
def test_parts_are_deleted_through_the_backend_airflow_pushes_through(
    configured: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Airflow resolves ``[core] xcom_backend`` in an internal module; this fails loudly should it differ."""
    if configured is None:
        monkeypatch.delenv("AIRFLOW__CORE__XCOM_BACKEND", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW__CORE__XCOM_BACKEND", configured)
    assert xcom_backend() is resolve_xcom_backend()
    assert xcom_backend() is (BaseXCom if configured is None else RecordingXCom)


def test_parts_kept_without_a_payload_are_found_and_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    xcoms: dict[str, Any] = {
        "gong_calls_part_0": [{"parties": []}],
        "gong_calls_part_0_ids": ["1"],
        "gong_calls_part_1": [],
        "gong_calls_part_3": [{"parties": []}],  # not a part of this fetch: part 2 is missing
        "gong_users_part_0": [],
        "return_value": [],
    }
    monkeypatch.setenv("AIRFLOW__CORE__XCOM_BACKEND", "gong_recording_xcom.RecordingXCom")
    monkeypatch.setattr(RecordingXCom, "store", xcoms)
    monkeypatch.setattr(RecordingXCom, "notes", [])

    found = remove_kept_parts({"ti": TaskInstance(xcoms)}, "gong_calls_part", log=None)  # type: ignore[typeddict-item]

    assert found == 2
    assert sorted(xcoms) == ["gong_calls_part_3", "gong_users_part_0", "return_value"]
    assert {note["map_index"] for note in RecordingXCom.notes} == {3}


def test_file_parts_give_back_the_nested_ids_of_their_records(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/calls.jsonl")
    first = FileSink(target, {}, ids_aside=False, record_id=nested_id, noun="calls")
    first.add({"metaData": {"id": "7"}}, "7")
    first.add({"metaData": {}}, None)  # a record without an id is stored, not counted among the ids
    progress = first.pause()

    resumed = FileSink(target, progress, ids_aside=False, record_id=nested_id, noun="calls")
    assert resumed.stored_ids() == {"7"}
    resumed.add({"metaData": {"id": "8"}}, "8")
    assert resumed.finish() == {"path": str(target), "count": 3}
    assert [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()] == [
        {"metaData": {"id": "7"}},
        {"metaData": {}},
        {"metaData": {"id": "8"}},
    ]
    assert [path.name for path in tmp_path.iterdir()] == ["calls.jsonl"]


def test_a_file_part_gone_during_the_deferral_is_named(tmp_path: Path) -> None:
    target = ObjectStoragePath(f"file://{tmp_path}/calls.jsonl")
    first = FileSink(target, {}, ids_aside=True, record_id=nested_id, noun="calls")
    first.add({"parties": []}, "7")
    progress = first.pause()
    [ids_file] = [path for path in tmp_path.iterdir() if path.name.endswith(".ids")]
    ids_file.unlink()

    resumed = FileSink(target, progress, ids_aside=True, record_id=nested_id, noun="calls")
    with pytest.raises(GongError, match=r"the calls fetched before the deferral are gone .*\.part0000\.ids"):
        resumed.stored_ids()
