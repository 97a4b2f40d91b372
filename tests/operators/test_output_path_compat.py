"""``output_path`` where the running Airflow's ``ObjectStoragePath`` refuses every path.

Airflow 3.0's ``ObjectStoragePath`` raises ``TypeError("ObjectStoragePath(...) detected protocol file which
is incompatible with ObjectStoragePath.")`` for any path once universal-pathlib 0.3 is installed (Apache's
constraints for 3.0 pin 0.2; a plain ``pip install`` may take 0.3). The operator says what to do instead of
leaving the user with that message alone. The class is replaced by one raising Airflow's very error: CI's
Airflow 3.0 runs with universal-pathlib 0.2, where the real class works.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_gong.operators import arguments

AIRFLOW_30_ERROR = (
    "ObjectStoragePath(...) detected protocol file which is incompatible with ObjectStoragePath."
)


class _RefusingPath:
    def __init__(self, *_: Any) -> None:
        raise TypeError(AIRFLOW_30_ERROR)


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(arguments, "ObjectStoragePath", _RefusingPath)
    return monkeypatch


def test_on_airflow_3_0_with_universal_pathlib_0_3_the_error_names_the_fix(
    refusing: pytest.MonkeyPatch,
) -> None:
    refusing.setattr(arguments, "AIRFLOW_VERSION", (3, 0, 6))
    refusing.setattr(arguments.metadata, "version", lambda name: "0.3.10")
    with pytest.raises(
        ValueError, match=re.escape("users: output_path 'file:///data/users.jsonl': ")
    ) as caught:
        arguments.check_output_path("file:///data/users.jsonl", "users")
    message = str(caught.value)
    assert AIRFLOW_30_ERROR in message
    assert "universal-pathlib 0.3.10" in message
    assert "pip install 'universal-pathlib<0.3'" in message


@pytest.mark.parametrize(("airflow", "pathlib"), [((3, 1, 8), "0.3.10"), ((3, 0, 6), "0.2.6")])
def test_elsewhere_the_error_is_airflows_with_the_argument_named(
    refusing: pytest.MonkeyPatch, airflow: tuple[int, int, int], pathlib: str
) -> None:
    refusing.setattr(arguments, "AIRFLOW_VERSION", airflow)
    refusing.setattr(arguments.metadata, "version", lambda name: pathlib)
    with pytest.raises(
        ValueError, match=re.escape("users: output_path 'file:///data/users.jsonl': ")
    ) as caught:
        arguments.check_output_path("file:///data/users.jsonl", "users")
    assert "universal-pathlib" not in str(caught.value)
