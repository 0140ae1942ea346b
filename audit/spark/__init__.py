"""The Spark engine: the same audit for thousands of shops, identical to the embedded run.

Every analysis is separable by shop (``audit.core.shops``), so Spark runs the very polars
functions of the jobs, one shop at a time, in its Python workers (``groupBy("shop_id")
.applyInArrow``); nothing of the analyses is written twice. Validation runs the same readers
and contracts on each partition (``mapInArrow``), the cross-table rules as Spark joins.
pyspark is optional (``pip install 'review-audit[spark]'``); nothing here is imported by the
embedded path.

* :mod:`audit.spark.session`: the session (local or ``--spark-master``), workers' PYTHONPATH.
* :mod:`audit.spark.arrow`: polars schemas -> Spark/Arrow schemas, defined once.
* :mod:`audit.spark.jobs`: the per-shop work (the jobs' own ``analyse``) and its output tables.
* :mod:`audit.spark.tables`: reading Parquet folders / hive datasets, validation, quarantine.
* :mod:`audit.spark.engine`: the per-shop pass, the cross-shop pass, the ``platform`` run.
"""
