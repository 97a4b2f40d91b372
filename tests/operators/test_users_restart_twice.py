"""A listing restarted after an expired cursor and stopped again before it is past the stored users."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from operator_helpers import DEFER_FAST, EXPIRED, FakeTI, defer, names
from test_users_hardening import gong, make, visible

from airflow_provider_gong.testing import GongEmulator

__all__ = ["gong"]  # the emulator fixture of the hardening tests


@pytest.mark.parametrize("sink", ["xcom", "file"])
def test_a_restarted_listing_deferred_again_still_has_every_user_once(
    sink: str, gong: GongEmulator, tmp_path: Path, run_trigger: Any
) -> None:
    gong.configure(users=250)  # 245 listed users: pages of 100, 100, 45
    target = tmp_path / "users.jsonl"
    output = {"output_path": f"file://{target}"} if sink == "file" else {}
    op = make(deferrable=True, hook_params=DEFER_FAST, **output)
    ti = FakeTI()
    gong.fail_next({"fault": "pass"}, {"fault": "pass"}, {"status": 429, "retry_after": "1"})
    first = defer(op, {"ti": ti})
    assert first.trigger.payload["count"] == 200
    [event] = run_trigger(first.trigger)

    # The kept cursor has expired, and the restarted listing is limited again on its first page.
    gong.fail_next(EXPIRED, {"status": 429, "retry_after": "1"})
    second = defer_complete(op, ti, event)
    assert second.trigger.payload["resume"]["restarted"] is True
    [event] = run_trigger(second.trigger)

    result = op.execute_complete({"ti": ti}, event)  # type: ignore[arg-type]

    if sink == "file":
        assert result == {"path": f"file://{target}", "count": 245}
        users = [json.loads(line) for line in target.read_text().splitlines()]
        assert names(tmp_path) == ["users.jsonl"]
    else:
        users = result
    assert sorted(user["id"] for user in users) == sorted(user["id"] for user in visible(gong))
    assert len({user["id"] for user in users}) == len(users) == 245


def defer_complete(op: Any, ti: FakeTI, event: dict[str, Any]) -> Any:
    """``execute_complete`` that defers again: return its ``TaskDeferred``."""
    from airflow_provider_gong.version_compat import TaskDeferred

    with pytest.raises(TaskDeferred) as caught:
        op.execute_complete({"ti": ti}, event)
    return caught.value
