"""The Spark session the engine runs on: local by default, a real cluster by ``--spark-master``.

The per-shop analyses run in Spark's Python workers, which import this package: the package
must be installed on the workers (``pip install 'review-audit[spark]'`` on every node), or, for
a local master, found through ``PYTHONPATH``, which is set here before the JVM starts (a worker
inherits the environment of the process that launched it; setting it later has no effect).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.errors import ParameterError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings every session gets: results do not depend on the cluster's defaults. UTC so naive
#: timestamps (timestamp_ntz) and dates are never shifted; AQE off so partitioning is what the
#: engine asks for (uniqueness checks rely on one key in one partition).
BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
#: Environment variable for the number of shuffle partitions (default: 4 per local core).
PARTITIONS_ENV = "REVIEW_AUDIT_SPARK_PARTITIONS"
#: Environment variable for the JVM heap of a local session (default: a third of the RAM).
DRIVER_MEMORY_ENV = "REVIEW_AUDIT_SPARK_DRIVER_MEMORY"


def local_driver_memory(total_bytes: int | None = None) -> str:
    """The JVM heap for a local master: a third of the machine's RAM, at least 1g.

    Why not Spark's default (1g): on a local master the driver is the executor too, and a
    cogroup holds one shop's rows in its heap; the platform benchmark's largest shop (2M
    reviews, 1M cases, 1M contacts) ran the resolution job out of a 1g heap. A third leaves
    the rest to the Python workers, which hold the same shop as Arrow and polars frames.
    """
    if total_bytes is None:
        try:
            total_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # not a POSIX system: Spark's default
            return "1g"
    return f"{max(1, total_bytes // 3 // 2**30)}g"


def package_root() -> str:
    """The folder holding the ``audit`` package, for the workers' ``PYTHONPATH``."""
    return str(Path(__file__).resolve().parents[2])


def spark_session(master: str | None = None, *, partitions: int | None = None,
                  conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session on ``master`` (default ``local[2]``) with :data:`BASE_CONF`.

    Raises
    ------
    ParameterError
        pyspark is not installed (the ``spark`` extra) or Java cannot be started.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        msg = ("--engine spark needs pyspark: install the extra, "
               "pip install 'review-audit[spark]' (and Java 17+)")
        raise ParameterError(msg) from exc
    import sys

    local = (master or "local").startswith("local")
    if local:
        # Local workers run this interpreter (its packages), not whatever python3 is on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    root = package_root()
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])
    n = partitions or int(os.environ.get(PARTITIONS_ENV, "0") or 0) or 8
    builder = SparkSession.builder.master(master or "local[2]").appName("review-audit")
    # A cluster's driver is sized by its launcher; a local one here.
    heap = ({"spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV) or local_driver_memory()}
            if local else {})
    for key, value in {**BASE_CONF, "spark.sql.shuffle.partitions": str(n),
                       "spark.default.parallelism": str(n),
                       "spark.executorEnv.PYTHONPATH": os.environ["PYTHONPATH"],
                       **heap, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # Java missing or the master unreachable: one line, not a trace
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        msg = f"cannot start Spark on {master or 'local[2]'}: {first}"
        raise ParameterError(msg) from exc
