"""Generated data with known per-segment answers (deterministic), for the segment suites.

Usage:
  generate.py evaluation <root>  - train/, test/, predictions/test/, design/ and predictions/design/ as the
                                   training pipeline hands them to the reports step. The test split holds:
                                   high-value (amount >= 10000): 400 rows, 100 positives; scores 0.8 for 60
                                   positives, 0.3 for 40, 0.9 for 120 negatives, 0.2 for 180: AUC 0.6, TP 60,
                                   FN 40, FP 120, TN 180 (it degrades while the aggregate AUC is 0.97943);
                                   gambling: 30 rows (below a minimum support of 100); the rest separable.
  monitoring <root>              - baseline/ (the reports step's own baseline files) and two windows of
                                   captured traffic with labels: segment-flipped (labels of high-value
                                   inverted; the aggregate holds) and segment-drifted (high-value amounts
                                   move from 10k-20k to 30k-50k; the rest is unchanged).
"""
import base64
import csv
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "processing"))
import estate_monitoring as em  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "monitoring"))
from generate import write_csv  # noqa: E402  (the monitoring suite's generator)

BANDS = ["<30", "30-50", "50+"]
HEADER = ["amount", "merchant_category", "open_accounts", "label"]
# Live traffic also carries a country (the example's cross-border segment), 2% "other": below its minimum support.
LIVE_HEADER = ["amount", "merchant_category", "open_accounts", "country", "age_band", "label"]


def test_split():
    """Rows (amount, merchant, open_accounts, label) and their scores, with the answers in the docstring."""
    rows, scores = [], []
    # high-value: amounts 10000, 10100, ... 49900 (the first on the inclusive bound)
    cells = [(1, 0.8)] * 60 + [(1, 0.3)] * 40 + [(0, 0.9)] * 120 + [(0, 0.2)] * 180
    for k, (y, s) in enumerate(cells):
        rows.append(["%.2f" % (10000 + 100 * k), "grocery", "5", str(y)])
        scores.append(s)
    # gambling: 30 rows, 5 positives, separable
    for k in range(30):
        y = 1 if k < 5 else 0
        rows.append(["%.2f" % (50 + k), "gambling", "2", str(y)])
        scores.append(0.9 if y else 0.1)
    # the rest: 3570 rows, 395 positives, separable; the first on the exclusive side of 10000
    for k in range(3570):
        y = 1 if k % 9 == 0 and k < 395 * 9 else 0
        amount = 9999.99 if k == 0 else 20 + (k * 37) % 9000
        rows.append(["%.2f" % amount, "grocery" if k % 2 else "fuel", str(k % 8), str(y)])
        scores.append(0.9 if y else 0.1)
    return rows, scores


def design_score(row):
    return min(1.0, float(row["amount"]) / 50000.0)


def evaluation(root):
    rng = np.random.RandomState(18)
    rows, scores = test_split()
    assert sum(int(r[3]) for r in rows) == 500 and len(rows) == 4000
    write_csv(os.path.join(root, "test", "part.csv"), HEADER, rows)
    write_csv(os.path.join(root, "predictions", "test", "part.csv"), ["score"], [["%.6f" % s] for s in scores])
    n = 3000
    amounts = np.where(rng.rand(n) < 0.1, rng.uniform(10000, 20000, n), rng.uniform(20, 9000, n))
    merchants = rng.choice(["grocery", "fuel", "gambling"], n, p=[0.5, 0.45, 0.05])
    train = [["%.2f" % a, m, str(rng.randint(0, 8)), str(int(rng.rand() < 0.12))] for a, m in zip(amounts, merchants)]
    write_csv(os.path.join(root, "train", "part.csv"), HEADER, train)
    em.main(["shap-design", "--test", os.path.join(root, "test"), "--output", os.path.join(root, "design")])
    with open(os.path.join(root, "design", "design.csv"), newline="") as fh:
        design = [["%.6f" % design_score(r)] for r in csv.DictReader(fh)]
    write_csv(os.path.join(root, "predictions", "design", "part.csv"), ["score"], design)


def live_score(amount):
    """The served model: probability rises with the amount, steeply again within high-value (so both classes occur there)."""
    a = np.asarray(amount, dtype=float)
    return np.where(a >= 10000, 1.0 / (1.0 + np.exp(-(a - 15000.0) / 1200.0)), 1.0 / (1.0 + np.exp(-(a - 5000.0) / 1500.0)))


def monitoring(root, segments):
    rng = np.random.RandomState(20261202)
    # Training data and the model's test scores: the reports step writes the baseline the job reads.
    n = 6000
    high = rng.rand(n) < 0.1
    amount = np.where(high, rng.uniform(10000, 20000, n), rng.uniform(20, 9000, n))
    merchant = np.where(rng.rand(n) < 0.01, "gambling", rng.choice(["grocery", "fuel"], n))
    label = (rng.rand(n) < live_score(amount)).astype(int)
    country = np.where(rng.rand(n) < 0.02, "other", "GB")
    rows = [["%.2f" % a, m, str(rng.randint(0, 8)), c, BANDS[i % 3], str(y)] for i, (a, m, c, y) in enumerate(zip(amount, merchant, country, label))]
    write_csv(os.path.join(root, "training", "train", "part.csv"), LIVE_HEADER, rows[:4000])
    write_csv(os.path.join(root, "training", "test", "part.csv"), LIVE_HEADER, rows[4000:])
    write_csv(os.path.join(root, "training", "predictions", "test", "part.csv"), ["score"], [["%.6f" % s] for s in live_score(amount[4000:])])
    em.main(["shap-design", "--test", os.path.join(root, "training", "test"), "--output", os.path.join(root, "training", "design")])
    with open(os.path.join(root, "training", "design", "design.csv"), newline="") as fh:
        design = [["%.6f" % live_score(float(r["amount"]))] for r in csv.DictReader(fh)]
    write_csv(os.path.join(root, "training", "predictions", "design", "part.csv"), ["score"], design)
    t = os.path.join(root, "training")
    args = ["reports", "--problem-type", "binary_classification", "--train", os.path.join(t, "train"), "--test", os.path.join(t, "test"),
            "--predictions", os.path.join(t, "predictions", "test"), "--design", os.path.join(t, "design"),
            "--design-predictions", os.path.join(t, "predictions", "design"), "--output", os.path.join(root, "baseline")]
    for s in segments:
        args += ["--segment", s]
    assert em.main(args) == 0
    for name, flip, drift in (("segment-flipped", True, False), ("segment-drifted", False, True), ("stable", False, False)):
        window(root, name, rng, flip, drift)


def window(root, name, rng, flip, drift, n=4000):
    high = rng.rand(n) < 0.1
    base = np.where(high, rng.uniform(10000, 20000, n), rng.uniform(20, 9000, n))
    amount = np.where(high, rng.uniform(30000, 50000, n), base) if drift else base
    merchant = np.where(rng.rand(n) < 0.005, "gambling", rng.choice(["grocery", "fuel"], n))
    score = live_score(amount)
    y = (rng.rand(n) < score).astype(int)
    if flip:
        # High-value: the outcomes no longer follow the score (fraud moved to the transactions the model trusts).
        y = np.where(high, (rng.rand(n) < 1.0 - np.clip(score, 0.05, 0.95)).astype(int), y)
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "capture", "champion"), exist_ok=True)
    os.makedirs(os.path.join(d, "ground-truth", "0"), exist_ok=True)
    with open(os.path.join(d, "capture", "champion", "part.jsonl"), "w") as cap, open(os.path.join(d, "ground-truth", "0", "labels.jsonl"), "w") as gt:
        for i in range(n):
            row = "%.2f,%s,%d,%s,%s" % (amount[i], merchant[i], rng.randint(0, 8), "other" if rng.rand() < 0.02 else "GB", BANDS[i % 3])
            event = {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": base64.b64encode(row.encode()).decode(), "encoding": "BASE64"},
                                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "%.6f" % score[i], "encoding": "CSV"}},
                     "eventMetadata": {"eventId": "%s-%d" % (name, i), "inferenceTime": "2026-12-01T21:30:00Z"}, "eventVersion": "0"}
            cap.write(json.dumps(event) + "\n")
            gt.write(json.dumps({"groundTruthData": {"data": str(int(y[i])), "encoding": "CSV"}, "eventMetadata": {"eventId": "%s-%d" % (name, i)}, "eventVersion": "0"}) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "evaluation":
        evaluation(sys.argv[2])
    else:
        monitoring(sys.argv[2], sys.argv[3:])
