"""What a Gong operator run reports as lineage: its Gong input and its ``output_path`` output.

Three audiences, one record (:class:`RunLineage`, built once the fetch finished):

- Airflow's hook-lineage collector (:func:`report_to_collector`): the ``gong://`` input asset and the
  output asset, each with the resource, the window and the record count as the asset's extra.
- The Asset event of ``output_path`` (:func:`emit_asset_event`): a DAG scheduled on that Asset runs when
  Gong data lands; the event's extra carries the window, the partitions written and the record counts. A
  templated ``output_path`` goes through an ``AssetAlias`` (:func:`output_outlet`): outlets are fixed
  when the DAG is parsed, the alias names the real asset at run time. Airflow 2.11 and 3.0 need an alias
  event's extra hashable: there ``window`` and ``partitions`` are JSON text.
- OpenLineage (:func:`operator_lineage`), for ``get_openlineage_facets_on_start`` / ``_on_complete``:
  imported only inside these functions, the OpenLineage provider is an optional extra
  (``airflow-provider-gong[openlineage]``).
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_gong.assets import gong_uri, resource_path, storage_uri

if TYPE_CHECKING:
    from airflow_provider_gong.endpoints import Endpoint
    from airflow_provider_gong.version_compat import Asset, AssetAlias, Context, ObjectStoragePath

__all__ = [
    "FACET_NAME",
    "RunLineage",
    "alias_name",
    "emit_asset_event",
    "openlineage_dataset_name",
    "operator_lineage",
    "output_outlet",
    "report_to_collector",
    "run_lineage",
]

#: The key of the Gong facet of OpenLineage datasets.
FACET_NAME = "gong"
_PRODUCER = "https://github.com/YOUR-ORG/airflow-provider-gong"
_SCHEMA_URL = f"{_PRODUCER}/blob/main/docs/lineage.md#the-gong-facet"


@dataclass(frozen=True)
class RunLineage:
    """
    The lineage of one operator run.

    :param input_uri: The Gong resource, ``gong://<tenant host>/<resource>``.
    :param operation_id: Gong's ``operationId`` of the endpoint read.
    :param method: Its HTTP method.
    :param api_path: Its path (``/v2/calls``).
    :param output_uri: The ``output_path``'s URI, or ``None`` (records to XCom).
    :param window: The load's window (``from``, ``to``, ``read_from``, ``read_to``), if it has one.
    :param partitions: The day partitions written, with their record counts.
    :param count: The records fetched (written); ``None`` before the run finished.
    """

    input_uri: str
    operation_id: str
    method: str
    api_path: str
    output_uri: str | None = None
    window: dict[str, str] | None = None
    partitions: dict[str, int] | None = field(default=None)
    count: int | None = None

    @property
    def resource(self) -> str:
        """The resource read, e.g. ``calls``."""
        return resource_path(self.api_path)

    def extra(self) -> dict[str, Any]:
        """The Asset event's extra (JSON only): source, resource, window, partitions, counts."""
        found: dict[str, Any] = {
            "source": self.input_uri,
            "resource": self.resource,
            "operation_id": self.operation_id,
        }
        if self.window is not None:
            found["window"] = dict(self.window)
        if self.partitions is not None:
            found["partitions"] = dict(self.partitions)
        if self.count is not None:
            found["count"] = self.count
        return found


def run_lineage(
    base_url: str,
    endpoint: Endpoint,
    output: ObjectStoragePath | str | None,
    result: object = None,
) -> RunLineage:
    """
    The lineage of a run from what it read and what it returned.

    :param base_url: The hook's base URL (its host is the tenant's).
    :param endpoint: The endpoint the records came from.
    :param output: The checked ``output_path`` (``None``: XCom).
    :param result: What the operator returns: the load's summary (``window``, ``partitions``, ``count``),
        ``{"path", "count"}``, or the records themselves; ``None`` before the run finished.
    """
    window = partitions = count = None
    if isinstance(result, Mapping):
        window = result.get("window") if isinstance(result.get("window"), Mapping) else None
        found = result.get("partitions")
        partitions = {str(day): int(n) for day, n in found.items()} if isinstance(found, Mapping) else None
        count = int(result["count"]) if isinstance(result.get("count"), int) else None
    elif isinstance(result, list):
        count = len(result)
    return RunLineage(
        input_uri=gong_uri(base_url, endpoint.path),
        operation_id=endpoint.operation_id,
        method=endpoint.method,
        api_path=endpoint.path,
        output_uri=None if output is None else storage_uri(output),
        window=None if window is None else {str(k): str(v) for k, v in window.items()},
        partitions=partitions,
        count=count,
    )


def _asset_extra(lineage: RunLineage) -> dict[str, Any]:
    return {key: value for key, value in lineage.extra().items() if key != "partitions"}


def report_to_collector(hook: Any, lineage: RunLineage) -> None:
    """
    Tell Airflow's hook-lineage collector what the run read and wrote.

    :param hook: The hook that read Gong (the collector's lineage context).
    :param lineage: The run's lineage.
    """
    from airflow_provider_gong.version_compat import get_hook_lineage_collector  # noqa: PLC0415

    collector = get_hook_lineage_collector()
    collector.add_input_asset(context=hook, uri=lineage.input_uri, asset_extra=_asset_extra(lineage))
    if lineage.output_uri is not None:
        collector.add_output_asset(context=hook, uri=lineage.output_uri, asset_extra=_asset_extra(lineage))


def alias_name(dag_id: str | None, task_id: str) -> str:
    """
    The ``AssetAlias`` of a task whose ``output_path`` is templated: ``gong/<dag_id>/<task_id>``.

    :param dag_id: The task's DAG, if known when the operator is built.
    :param task_id: The task.
    """
    return f"gong/{dag_id}/{task_id}" if dag_id else f"gong/{task_id}"


def output_outlet(output: ObjectStoragePath | None, alias: str) -> Asset | AssetAlias:
    """
    The outlet an ``output_path`` adds: its Asset when the path is known at parse time, else an alias.

    :param output: The checked literal ``output_path``, or ``None`` when it is templated.
    :param alias: The alias's name (:func:`alias_name`).
    """
    from airflow_provider_gong.version_compat import Asset, AssetAlias  # noqa: PLC0415

    if output is None:
        return AssetAlias(name=alias)
    return Asset(uri=storage_uri(output))


def emit_asset_event(context: Context, outlet: Asset | AssetAlias, lineage: RunLineage) -> None:
    """
    Give the outlet's Asset event its extra (through an alias: name the output asset).

    :param context: The task context (its ``outlet_events``).
    :param outlet: What :func:`output_outlet` returned for the task.
    :param lineage: The run's lineage (with ``output_uri``).
    """
    from airflow_provider_gong.version_compat import AIRFLOW_V_3_1_PLUS, Asset, AssetAlias  # noqa: PLC0415

    events = context.get("outlet_events")
    if events is None or lineage.output_uri is None:
        return
    extra = lineage.extra()
    if isinstance(outlet, AssetAlias):
        if not AIRFLOW_V_3_1_PLUS:
            # Airflow 2.11 and 3.0 hash an alias event's extra (a frozenset of its items): nested values
            # as JSON text.
            extra = {
                key: json.dumps(value) if isinstance(value, (dict, list)) else value
                for key, value in extra.items()
            }
        events[outlet].add(Asset(uri=lineage.output_uri), extra=extra)
        return
    accessor = events[outlet]
    accessor.extra.update(extra)


def openlineage_dataset_name(uri: str) -> tuple[str, str]:
    """
    OpenLineage's namespace and name of a URI: object stores as ``s3://bucket`` + ``gong/calls`` (the
    naming spec's ``{scheme}://{bucket}`` and the key), a local file as ``file`` + ``/data/gong/calls``,
    Gong as ``gong://<host>`` + ``calls``.

    :param uri: The asset URI.
    """
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme == "file":
        return (f"file://{parts.netloc}" if parts.netloc else "file"), parts.path or "/"
    return f"{parts.scheme}://{parts.netloc}", parts.path.lstrip("/") or "/"


@functools.cache
def _gong_facet_class() -> type:
    """The Gong dataset facet (an attrs class of the OpenLineage client, built on first use)."""
    import attr  # noqa: PLC0415
    from openlineage.client.generated.base import DatasetFacet  # noqa: PLC0415

    @attr.define
    class GongDatasetFacet(DatasetFacet):
        """The Gong resource read, the load's window and the records."""

        resource: str
        operationId: str  # OpenLineage facets spell fields in camelCase
        method: str
        window: dict[str, str] | None = attr.field(default=None)
        partitions: dict[str, int] | None = attr.field(default=None)
        recordCount: int | None = attr.field(default=None)

        @staticmethod
        def _get_schema() -> str:
            return _SCHEMA_URL

    return GongDatasetFacet


def _facets(lineage: RunLineage, *, output: bool) -> dict[str, Any]:
    from openlineage.client.facet_v2 import datasource_dataset  # noqa: PLC0415

    facet = _gong_facet_class()(
        resource=lineage.resource,
        operationId=lineage.operation_id,
        method=lineage.method,
        window=lineage.window,
        partitions=lineage.partitions if output else None,
        recordCount=lineage.count,
    )
    uri = lineage.output_uri if output else lineage.input_uri
    name, _ = openlineage_dataset_name(uri or "")
    return {
        FACET_NAME: facet,
        "dataSource": datasource_dataset.DatasourceDatasetFacet(name=name, uri=name),
    }


def operator_lineage(lineage: RunLineage | None) -> Any:
    """
    The OpenLineage provider's ``OperatorLineage`` of a run: the Gong input, the ``output_path`` output,
    each with the Gong facet (resource, window, count) and, once known, the row-count statistics.

    :param lineage: The run's lineage (``None``: nothing known, an empty ``OperatorLineage``).
    """
    from openlineage.client.event_v2 import InputDataset, OutputDataset  # noqa: PLC0415
    from openlineage.client.facet_v2 import (  # noqa: PLC0415
        input_statistics_input_dataset,
        output_statistics_output_dataset,
    )

    from airflow_provider_gong.version_compat import OperatorLineage  # noqa: PLC0415

    if lineage is None:
        return OperatorLineage()
    namespace, name = openlineage_dataset_name(lineage.input_uri)
    input_facets: dict[str, Any] = {}
    if lineage.count is not None:
        input_facets["inputStatistics"] = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
            rowCount=lineage.count
        )
    inputs = [
        InputDataset(
            namespace=namespace,
            name=name,
            facets=_facets(lineage, output=False),
            inputFacets=input_facets,
        )
    ]
    outputs = []
    if lineage.output_uri is not None:
        namespace, name = openlineage_dataset_name(lineage.output_uri)
        output_facets: dict[str, Any] = {}
        if lineage.count is not None:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=lineage.count, fileCount=len(lineage.partitions or {}) or None
                )
            )
        outputs.append(
            OutputDataset(
                namespace=namespace,
                name=name,
                facets=_facets(lineage, output=True),
                outputFacets=output_facets,
            )
        )
    return OperatorLineage(inputs=inputs, outputs=outputs)
