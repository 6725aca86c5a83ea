"""Benchmark of one monitoring run's computation: generated captures of N records, the CLI as the
processing job runs it; prints one JSON document (records, capture size, wall and CPU seconds, records per second, datums).

Usage: python3 test/bench/monitoring-bench.py [N ...]   (default 10000 100000)
Each size runs twice: without segments, and with three segments (two numeric ranges, one value set).
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "processing", "estate_monitoring.py")
sys.path.insert(0, os.path.join(HERE, "..", "monitoring"))
import generate  # noqa: E402


SEGMENTS = [
    json.dumps({"name": "high-income", "feature": "income", "range": {"min": 60}, "minSupport": 200, "critical": True}),
    json.dumps({"name": "low-income", "feature": "income", "range": {"max": 40}, "minSupport": 200}),
    json.dumps({"name": "older", "feature": "age_band", "values": ["50+"], "minSupport": 200, "critical": True}),
]


def main(sizes):
    results = []
    for n, segments in [(n, k) for n in sizes for k in (0, len(SEGMENTS))]:
        root = tempfile.mkdtemp(prefix="monitoring-bench-")
        try:
            rng = np.random.RandomState(1)
            generate.write_baseline(root, rng)
            generate.write_scenario(root, "live", rng, n=n, income_mean=55.0)
            capture = os.path.join(root, "live", "capture", "champion")
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, SCRIPT, "monitor", "--endpoint", "bench", "--problem-type", "binary_classification", "--facets", "age_band",
                            "--baseline", os.path.join(root, "baseline"), "--capture", capture, "--ground-truth", os.path.join(root, "live", "ground-truth", "0"),
                            "--output", os.path.join(root, "out")] + [a for seg in SEGMENTS[:segments] for a in ("--segment", seg)], check=True)
            seconds = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            index = json.load(open(os.path.join(root, "out", "metrics", "index.json")))
            size = sum(os.path.getsize(os.path.join(capture, f)) for f in os.listdir(capture))
            results.append({"records": n, "segments": segments, "capture_mb": round(size / 1e6, 2), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "records_per_second": round(n / seconds), "datums": index["datums"]})
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"monitoring_run": results}, indent=1))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000, 100000])
