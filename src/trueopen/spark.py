"""Starting Spark for trueopen's jobs (the dataset audit's joins, the index's batch audits): local[*]
by default, any cluster through Spark's usual settings (SPARK_HOME, spark-defaults.conf, --master)."""

from __future__ import annotations

import os
import sys

from trueopen.errors import InputError


def start_spark(app: str, master: str = "local[*]"):
    """(SparkSession, whether we started it). A session the caller already runs (the Python API
    inside a Spark application) is theirs: the caller must not stop it. Raises InputError
    without PySpark."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("--engine spark needs PySpark: pip install 'trueopen[spark]'") from None
    own = SparkSession.getActiveSession() is None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # Spark's Python workers import trueopen from the same source tree as the driver.
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    import warnings
    from importlib.resources import files

    # PySpark warns that it does not yet support the installed pandas major; its Arrow paths work (tested).
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    log4j = files("trueopen.data").joinpath("datasets/spark-log4j2.properties")
    # The driver JVM is started by PySpark before any SparkConf applies: its options go on the launch line.
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS",
                          f'--driver-java-options "-Dlog4j2.configurationFile=file:{log4j}" pyspark-shell')
    spark = (SparkSession.builder.master(master).appName(app)
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark, own
