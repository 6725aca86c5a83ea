"""The estate's model monitoring and training reports, with open formulas.

One file, Python standard library and numpy only, so that it runs unchanged in
AWS's scikit-learn processing image (sagemaker-scikit-learn:1.2-1-cpu-py3,
Python 3.8+ syntax) and on a developer's machine. Two commands:

  monitor  - one monitoring run of an endpoint: reads captured requests and
             responses (SageMaker data capture JSON lines), joins ground-truth
             labels where they exist (Model Monitor's ground-truth format,
             joined on eventId), and computes against the model's baseline:
             data quality (missing, type and range violations per feature),
             drift (PSI per feature and of the score), model quality (AUC, F1;
             RMSE for regression) and bias drift (disparate impact per
             protected facet). Writes report.json, constraint_violations.json
             and CloudWatch metric data in batches of at most 500 datums.
  reports  - the training pipeline's reports, in the formats the approval gate
             reads: evaluation.json (model-quality), bias.json (Clarify
             analysis shape), explainability.json (Kernel SHAP),
             statistics.json of the test split, baseline-statistics.json and
             baseline-constraints.json of the training split.
  shap-design - the Kernel SHAP coalition design the model scores in between.

Formulas (all public):
  PSI   = sum_i (a_i - e_i) * ln(a_i / e_i) over the baseline's buckets, with
          proportions floored at 1e-4 (Siddiqi 2006; 0.1 watch, 0.25 act).
  DI    = q_d / q_a: share of positive predictions in facet group d over the
          share in the rest (Clarify's "DI"; four-fifths rule 0.8).
  DPPL  = q_a - q_d; CI = (n_a - n_d) / (n_a + n_d); DPL = label share a - d.
  AUC   = Mann-Whitney U / (n_pos * n_neg), ties at average rank.
  Kernel SHAP: weighted least squares over coalitions with the Shapley kernel
          (Lundberg and Lee 2017), efficiency enforced exactly.
The computation of one slice of records is one function (compute_slice), so
per-segment metrics are the same function over a subset.
"""
from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import math
import os
import sys
from datetime import datetime, timezone
from itertools import combinations

import numpy as np

EPSILON = 1e-4
NUMERIC_TYPES = ("Integral", "Fractional")
MAX_DATUMS_PER_BATCH = 500
# Data quality tolerances: a feature violates when its live rate exceeds these.
MISSING_RATE_INCREASE = 0.05
TYPE_VIOLATION_RATE = 0.01
RANGE_VIOLATION_RATE = 0.05
# Groups smaller than this are not judged (a handful of records says nothing).
MIN_GROUP_SIZE = 20
METRIC_NAMESPACE = "Estate/ModelMonitoring"


class InputError(Exception):
    """Input the job cannot use; the message says what and where."""


# ---------------------------------------------------------------- formulas

def psi(expected_counts, actual_counts):
    """Population stability index of two histograms over the same buckets."""
    e = np.asarray(expected_counts, dtype=float)
    a = np.asarray(actual_counts, dtype=float)
    if e.sum() <= 0 or a.sum() <= 0:
        return None
    e = np.maximum(e / e.sum(), EPSILON)
    a = np.maximum(a / a.sum(), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_buckets(values, n_buckets=10):
    """Quantile buckets of a numeric sample (Model Monitor's kll bucket shape)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return []
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_buckets + 1)))
    if edges.size == 1:
        return [{"lower_bound": float(edges[0]), "upper_bound": float(edges[0]), "count": float(v.size)}]
    counts = bucket_counts(v, [{"lower_bound": float(lo), "upper_bound": float(hi)} for lo, hi in zip(edges[:-1], edges[1:])])
    return [{"lower_bound": float(lo), "upper_bound": float(hi), "count": float(c)} for lo, hi, c in zip(edges[:-1], edges[1:], counts)]


def bucket_counts(values, buckets):
    """Counts of values in the baseline's buckets; values outside go to the end buckets."""
    v = np.asarray(values, dtype=float)
    if not buckets:
        return []
    inner = np.asarray([b["upper_bound"] for b in buckets[:-1]], dtype=float)
    index = np.searchsorted(inner, v, side="left") if inner.size else np.zeros(v.size, dtype=int)
    return np.bincount(index, minlength=len(buckets)).astype(float).tolist()


def auc(labels, scores):
    """Area under the ROC curve (Mann-Whitney), ties at average rank; None without both classes."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    n_pos = int(np.sum(y == 1))
    n_neg = int(np.sum(y == 0))
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=float)
    sorted_s = s[order]
    i = 0
    while i < s.size:
        j = i
        while j + 1 < s.size and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = np.sum(ranks[y == 1]) - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def classification_metrics(labels, scores, threshold=0.5):
    """SageMaker's binary_classification_metrics shape (value and standard deviation)."""
    y = np.asarray(labels, dtype=float)
    yhat = (np.asarray(scores, dtype=float) >= threshold).astype(float)
    tp = float(np.sum((yhat == 1) & (y == 1)))
    fp = float(np.sum((yhat == 1) & (y == 0)))
    fn = float(np.sum((yhat == 0) & (y == 1)))
    tn = float(np.sum((yhat == 0) & (y == 0)))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    n = max(y.size, 1)
    values = {
        "auc": auc(y, scores),
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "accuracy": (tp + tn) / n,
        "true_positive_rate": recall,
        "false_positive_rate": fp / (fp + tn) if fp + tn > 0 else 0.0,
    }
    return {k: {"value": v, "standard_deviation": 0.0} for k, v in values.items() if v is not None}


def regression_metrics(labels, predictions):
    y = np.asarray(labels, dtype=float)
    p = np.asarray(predictions, dtype=float)
    err = p - y
    mse = float(np.mean(err ** 2)) if y.size else float("nan")
    ss_tot = float(np.sum((y - y.mean()) ** 2)) if y.size else 0.0
    values = {
        "mae": float(np.mean(np.abs(err))),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": 1.0 - float(np.sum(err ** 2)) / ss_tot if ss_tot > 0 else 0.0,
    }
    return {k: {"value": v, "standard_deviation": 0.0} for k, v in values.items()}


def facet_groups(facet_values, min_group_size=MIN_GROUP_SIZE):
    """The groups of a facet large enough to judge, in a stable order."""
    values, counts = np.unique(np.asarray(facet_values, dtype=object).astype(str), return_counts=True)
    return [str(v) for v, c in zip(values, counts) if c >= min_group_size]


def disparate_impact(positive, facet_values, group):
    """DI of one facet group: share of positive outcomes in the group over the share in the rest."""
    pos = np.asarray(positive, dtype=float)
    f = np.asarray(facet_values, dtype=object).astype(str)
    d = f == group
    if d.sum() == 0 or (~d).sum() == 0:
        return None
    q_d = float(pos[d].mean())
    q_a = float(pos[~d].mean())
    if q_a == 0:
        return None if q_d == 0 else float("inf")
    return q_d / q_a


def bias_metrics(positive_predictions, facet_values, labels=None, min_group_size=MIN_GROUP_SIZE):
    """Clarify's facet list for one protected attribute: per group, pre- (labels) and post-training metrics."""
    pred = np.asarray(positive_predictions, dtype=float)
    f = np.asarray(facet_values, dtype=object).astype(str)
    pre, post = [], []
    for g in facet_groups(f, min_group_size):
        d = f == g
        n_d, n_a = float(d.sum()), float((~d).sum())
        if n_a == 0:
            continue
        q_d, q_a = float(pred[d].mean()), float(pred[~d].mean())
        di = disparate_impact(pred, f, g)
        post.append({"value_or_threshold": g, "metrics": [
            {"name": "DI", "description": "Disparate Impact (DI)", "value": di},
            {"name": "DPPL", "description": "Difference in Positive Proportions in Predicted Labels (DPPL)", "value": q_a - q_d},
        ]})
        if labels is not None:
            y = np.asarray(labels, dtype=float)
            pre.append({"value_or_threshold": g, "metrics": [
                {"name": "CI", "description": "Class Imbalance (CI)", "value": (n_a - n_d) / (n_a + n_d)},
                {"name": "DPL", "description": "Difference in Positive Proportions in Labels (DPL)", "value": float(y[~d].mean() - y[d].mean())},
            ]})
    return pre, post


def min_disparate_impact(post_facet):
    values = [m["value"] for g in post_facet for m in g["metrics"] if m["name"] == "DI" and m["value"] is not None]
    return min(values) if values else None


# ---------------------------------------------------------------- statistics and constraints (Model Monitor shapes)

def infer_type(values):
    present = [v for v in values if not is_missing(v)]
    if not present:
        return "Unknown"
    numbers = [to_number(v) for v in present]
    if any(n is None for n in numbers):
        return "String"
    return "Integral" if all(float(n).is_integer() for n in numbers) else "Fractional"


def is_missing(v):
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and math.isnan(v))


def to_number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(float(v)) else None
    try:
        n = float(str(v).strip())
    except ValueError:
        return None
    return n if math.isfinite(n) else None


def feature_statistics(name, values, inferred_type=None):
    t = inferred_type or infer_type(values)
    missing = sum(1 for v in values if is_missing(v))
    common = {"num_present": len(values) - missing, "num_missing": missing}
    if t in NUMERIC_TYPES:
        nums = np.asarray([n for n in (to_number(v) for v in values if not is_missing(v)) if n is not None], dtype=float)
        stats = {"common": common, "mean": float(nums.mean()) if nums.size else 0.0, "sum": float(nums.sum()),
                 "std_dev": float(nums.std()) if nums.size else 0.0,
                 "min": float(nums.min()) if nums.size else 0.0, "max": float(nums.max()) if nums.size else 0.0,
                 "distribution": {"kll": {"buckets": numeric_buckets(nums)}}}
        return {"name": name, "inferred_type": t, "numerical_statistics": stats}
    present = [str(v) for v in values if not is_missing(v)]
    cats, counts = np.unique(np.asarray(present, dtype=object).astype(str), return_counts=True) if present else ([], [])
    buckets = [{"value": str(c), "count": float(n)} for c, n in zip(cats, counts)]
    stats = {"common": common, "distinct_count": float(len(buckets)), "distribution": {"categorical": {"buckets": buckets}}}
    return {"name": name, "inferred_type": t, "string_statistics": stats}


def statistics(columns, order):
    """statistics.json of a table given as {feature: [values]}."""
    n = len(columns[order[0]]) if order else 0
    return {"version": 0.0, "dataset": {"item_count": n}, "features": [feature_statistics(f, columns[f]) for f in order]}


def constraints(stats):
    """constraints.json from statistics.json: type, completeness, non-negativity, domains."""
    features = []
    for f in stats["features"]:
        body = f.get("numerical_statistics") or f.get("string_statistics")
        c = body["common"]
        total = c["num_present"] + c["num_missing"]
        entry = {"name": f["name"], "inferred_type": f["inferred_type"], "completeness": c["num_present"] / total if total else 0.0}
        if "numerical_statistics" in f:
            entry["num_constraints"] = {"is_non_negative": f["numerical_statistics"]["min"] >= 0}
        else:
            entry["string_constraints"] = {"domains": [b["value"] for b in f["string_statistics"]["distribution"]["categorical"]["buckets"]]}
        features.append(entry)
    return {"version": 0.0, "features": features, "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
            "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "PSI"}}}


# ---------------------------------------------------------------- one slice of live records

def feature_drift(baseline_feature, values):
    """PSI of live values against the baseline distribution of one feature; None when undefined."""
    if "numerical_statistics" in baseline_feature:
        buckets = baseline_feature["numerical_statistics"]["distribution"]["kll"]["buckets"]
        nums = [n for n in (to_number(v) for v in values if not is_missing(v)) if n is not None]
        if not nums or not buckets:
            return None
        return psi([b["count"] for b in buckets], bucket_counts(nums, buckets))
    buckets = baseline_feature["string_statistics"]["distribution"]["categorical"]["buckets"]
    known = [b["value"] for b in buckets]
    present = [str(v) for v in values if not is_missing(v)]
    if not present or not known:
        return None
    index = {k: i for i, k in enumerate(known)}
    actual = [0.0] * (len(known) + 1)
    for v in present:
        actual[index.get(v, len(known))] += 1
    return psi([b["count"] for b in buckets] + [0.0], actual)


def feature_quality(baseline_feature, constraint, values):
    """Missing, type and range violation rates of one feature, and whether it violates its constraints."""
    n = len(values)
    if n == 0:
        return None
    missing = sum(1 for v in values if is_missing(v))
    present = [v for v in values if not is_missing(v)]
    t = baseline_feature["inferred_type"]
    type_bad = range_bad = 0
    if t in NUMERIC_TYPES:
        stats = baseline_feature["numerical_statistics"]
        for v in present:
            x = to_number(v)
            if x is None or (t == "Integral" and not float(x).is_integer()):
                type_bad += 1
            elif x < stats["min"] or x > stats["max"]:
                range_bad += 1
    elif t == "String":
        domain = set((constraint or {}).get("string_constraints", {}).get("domains", []))
        range_bad = sum(1 for v in present if domain and str(v) not in domain)
    completeness = (constraint or {}).get("completeness", 1.0)
    rates = {"missing": missing / n, "type": type_bad / n, "range": range_bad / n}
    violations = []
    if rates["missing"] > (1.0 - completeness) + MISSING_RATE_INCREASE:
        violations.append("completeness_check")
    if rates["type"] > TYPE_VIOLATION_RATE:
        violations.append("data_type_check")
    if rates["range"] > RANGE_VIOLATION_RATE:
        violations.append("range_check")
    return {"rates": rates, "violations": violations}


def compute_slice(records, baseline, problem_type, facets, threshold=0.5):
    """Every metric of one set of records: [{features: {name: value}, score, label?}]."""
    stats = {f["name"]: f for f in baseline["statistics"]["features"]}
    cons = {f["name"]: f for f in baseline["constraints"].get("features", [])}
    result = {"records": len(records), "features": {}, "violations": []}
    for name, feature in stats.items():
        values = [r["features"].get(name) for r in records]
        quality = feature_quality(feature, cons.get(name), values)
        if quality is None:
            continue
        result["features"][name] = {"psi": feature_drift(feature, values), **quality["rates"]}
        for check in quality["violations"]:
            result["violations"].append({"feature_name": name, "constraint_check_type": check,
                                         "description": "%s: missing %.4f, type %.4f, range %.4f" % (name, quality["rates"]["missing"], quality["rates"]["type"], quality["rates"]["range"])})
    scores = [r["score"] for r in records if r.get("score") is not None]
    score_baseline = baseline.get("score")
    result["score_psi"] = feature_drift(score_baseline, scores) if score_baseline and scores else None
    labelled = [r for r in records if r.get("label") is not None and r.get("score") is not None]
    result["labelled"] = len(labelled)
    result["quality"] = None
    if labelled:
        y = [r["label"] for r in labelled]
        s = [r["score"] for r in labelled]
        result["quality"] = classification_metrics(y, s, threshold) if problem_type == "binary_classification" else regression_metrics(y, s)
    result["bias"] = {}
    if problem_type == "binary_classification":
        scored = [r for r in records if r.get("score") is not None]
        positive = [1.0 if r["score"] >= threshold else 0.0 for r in scored]
        for facet in facets:
            values = [r["features"].get(facet) for r in scored]
            keep = [i for i, v in enumerate(values) if not is_missing(v)]
            _, post = bias_metrics([positive[i] for i in keep], [values[i] for i in keep])
            result["bias"][facet] = {"post_training": post, "min_disparate_impact": min_disparate_impact(post)}
    return result


def metric_data(result, endpoint):
    """CloudWatch datums of one slice: per feature, per facet, and the endpoint's aggregates (published at the run's end)."""
    data = []

    def put(name, value, unit="None", **dims):
        if value is None or not math.isfinite(float(value)):
            return
        dimensions = [{"Name": "Endpoint", "Value": endpoint}] + [{"Name": k, "Value": str(v)[:255]} for k, v in dims.items()]
        data.append({"MetricName": name, "Dimensions": dimensions, "Value": float(value), "Unit": unit})

    put("RecordsAnalyzed", result["records"], "Count")
    put("LabelledRecords", result["labelled"], "Count")
    for name, f in sorted(result["features"].items()):
        put("FeaturePsi", f["psi"], Feature=name)
        put("MissingRate", f["missing"], Feature=name)
        put("TypeViolationRate", f["type"], Feature=name)
        put("RangeViolationRate", f["range"], Feature=name)
    psis = [f["psi"] for f in result["features"].values() if f["psi"] is not None]
    put("MaxFeaturePsi", max(psis) if psis else None)
    put("DataQualityViolations", len(result["violations"]) if result["records"] else None, "Count")
    put("ScorePsi", result["score_psi"])
    if result["quality"]:
        for key, name in (("auc", "Auc"), ("f1", "F1"), ("rmse", "Rmse"), ("r2", "R2")):
            if key in result["quality"]:
                put(name, result["quality"][key]["value"])
    for facet, b in sorted(result["bias"].items()):
        put("DisparateImpact", b["min_disparate_impact"], Facet=facet)
    return data



# ---------------------------------------------------------------- segments and stress scenarios

def parse_segments(texts, columns):
    """Segment definitions from the --segment arguments (JSON each), checked against the data's columns."""
    segments, seen = [], set()
    for text in texts or []:
        try:
            s = json.loads(text)
        except ValueError:
            raise InputError("segment %r is not JSON" % text[:80])
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not isinstance(s.get("feature"), str):
            raise InputError("segment %r needs a name and a feature" % text[:80])
        if s["name"] in seen:
            raise InputError("segment %s is given twice" % s["name"])
        seen.add(s["name"])
        if s["feature"] not in columns:
            raise InputError("segment %s is on feature %s, which is not a column of the data (%s)" % (s["name"], s["feature"], ", ".join(columns)))
        has_values, has_range = isinstance(s.get("values"), list) and s["values"], isinstance(s.get("range"), dict)
        if bool(has_values) == bool(has_range):
            raise InputError("segment %s must give either values or range" % s["name"])
        support = s.get("minSupport", 1)
        if not isinstance(support, int) or isinstance(support, bool) or support < 1:
            raise InputError("segment %s: minSupport must be a whole number of at least 1" % s["name"])
        segments.append(s)
    return segments


def definition(segment):
    """The segment's definition as reports repeat it (the gates compare it with the estate config)."""
    out = {"feature": segment["feature"]}
    if segment.get("values"):
        out["values"] = segment["values"]
    else:
        out["range"] = {k: segment["range"][k] for k in ("min", "max") if k in segment["range"]}
    return out


def in_segment(segment, values):
    """Membership of each value: one of the listed values (text or number), or min <= value < max. Missing is never in."""
    out = np.zeros(len(values), dtype=bool)
    if segment.get("values"):
        texts = set(v for v in segment["values"] if isinstance(v, str))
        numbers = set(float(v) for v in segment["values"] if not isinstance(v, str))
        for i, v in enumerate(values):
            if is_missing(v):
                continue
            if str(v).strip() in texts:
                out[i] = True
            elif numbers:
                x = to_number(v)
                out[i] = x is not None and x in numbers
        return out
    lo, hi = segment["range"].get("min"), segment["range"].get("max")
    for i, v in enumerate(values):
        x = None if is_missing(v) else to_number(v)
        out[i] = x is not None and (lo is None or x >= lo) and (hi is None or x < hi)
    return out


def weighted_auc(labels, scores, weights):
    """AUC with row weights (ties count one half); equals auc() with unit weights. None without both classes."""
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    w = np.asarray(weights, dtype=float)
    w_pos, w_neg = w * (y == 1), w * (y == 0)
    if w_pos.sum() <= 0 or w_neg.sum() <= 0:
        return None
    values, index = np.unique(s, return_inverse=True)
    pos = np.bincount(index, weights=w_pos, minlength=values.size)
    neg = np.bincount(index, weights=w_neg, minlength=values.size)
    below = np.concatenate(([0.0], np.cumsum(neg)[:-1]))
    return float(np.sum(pos * (below + 0.5 * neg)) / (w_pos.sum() * w_neg.sum()))


def confusion(labels, scores, threshold, weights=None):
    y = np.asarray(labels, dtype=float)
    yhat = np.asarray(scores, dtype=float) >= threshold
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    cells = {"true_positives": (yhat & (y == 1)), "false_positives": (yhat & (y == 0)),
             "false_negatives": (~yhat & (y == 1)), "true_negatives": (~yhat & (y == 0))}
    return {k: float(np.sum(w[m])) for k, m in cells.items()}


def weighted_classification(labels, scores, threshold, weights):
    """binary_classification_metrics of a weighted sample (the stress scenarios)."""
    c = confusion(labels, scores, threshold, weights)
    tp, fp, fn, tn = c["true_positives"], c["false_positives"], c["false_negatives"], c["true_negatives"]
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    values = {"auc": weighted_auc(labels, scores, weights), "f1": 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0,
              "precision": precision, "recall": recall, "accuracy": (tp + tn) / max(tp + fp + fn + tn, 1e-12),
              "true_positive_rate": recall, "false_positive_rate": fp / (fp + tn) if fp + tn > 0 else 0.0}
    return {k: {"value": v, "standard_deviation": 0.0} for k, v in values.items() if v is not None}


def weighted_regression(labels, predictions, weights):
    y, p, w = (np.asarray(a, dtype=float) for a in (labels, predictions, weights))
    w = w / w.sum()
    err = p - y
    mse = float(np.sum(w * err ** 2))
    mean = float(np.sum(w * y))
    ss_tot = float(np.sum(w * (y - mean) ** 2))
    values = {"mae": float(np.sum(w * np.abs(err))), "mse": mse, "rmse": math.sqrt(mse), "r2": 1.0 - mse / ss_tot if ss_tot > 0 else 0.0}
    return {k: {"value": v, "standard_deviation": 0.0} for k, v in values.items()}


def segment_evaluation(segment, member, labels, scores, problem_type, threshold):
    """One segment of the test split: its support, confusion counts (classifiers) and metrics."""
    y, s = labels[member], scores[member]
    support = int(member.sum())
    entry = {"definition": definition(segment), "min_support": int(segment.get("minSupport", 1)), "support": support,
             "status": "ok" if support >= int(segment.get("minSupport", 1)) else "insufficient_data"}
    if problem_type == "binary_classification":
        entry["positives"] = int(np.sum(y == 1))
        entry["confusion_matrix"] = {k: int(v) for k, v in confusion(y, s, threshold).items()}
        if support:
            entry["binary_classification_metrics"] = classification_metrics(y, s, threshold)
    elif support:
        err = s - y
        entry["regression_metrics"] = regression_metrics(y, s)
        entry["squared_error"] = {"mean": float(np.mean(err ** 2)), "variance": float(np.var(err ** 2, ddof=1)) if support > 1 else 0.0}
    return entry


def stress_evaluation(scenario, members, labels, scores, problem_type, threshold):
    """A named scenario: the test split reweighted (prior shift or population shift) and its metrics."""
    n = labels.size
    if scenario.get("positiveRate") is not None:
        r = float(scenario["positiveRate"])
        p = float(np.mean(labels == 1)) if n else 0.0
        kind = {"kind": "prior_shift", "positive_rate": r, "observed_positive_rate": p}
        if problem_type != "binary_classification" or p in (0.0, 1.0):
            return dict(kind, status="undefined", reason="a prior shift needs a classifier's test split with both classes")
        weights = np.where(labels == 1, r / p, (1 - r) / (1 - p))
    else:
        share = scenario.get("segmentShare") or {}
        member = members.get(share.get("segment"))
        if member is None:
            raise InputError("stress scenario %s names segment %s, which is not given" % (scenario.get("name"), share.get("segment")))
        q = float(member.mean()) if n else 0.0
        t = float(share.get("share"))
        kind = {"kind": "population_shift", "segment": share.get("segment"), "share": t, "observed_share": q}
        if q in (0.0, 1.0):
            return dict(kind, status="undefined", reason="the segment is all or none of the test split, so its share cannot be moved")
        weights = np.where(member, t / q, (1 - t) / (1 - q))
    out = dict(kind, status="ok", rows=int(n), effective_rows=float(weights.sum() ** 2 / np.sum(weights ** 2)))
    if problem_type == "binary_classification":
        out["binary_classification_metrics"] = weighted_classification(labels, scores, threshold, weights)
    else:
        out["regression_metrics"] = weighted_regression(labels, scores, weights)
    return out


def parse_stress(texts):
    out = []
    for text in texts or []:
        try:
            s = json.loads(text)
        except ValueError:
            raise InputError("stress scenario %r is not JSON" % text[:80])
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or (s.get("positiveRate") is None) == (s.get("segmentShare") is None):
            raise InputError("stress scenario %r needs a name and exactly one of positiveRate or segmentShare" % text[:80])
        out.append(s)
    return out


def segment_reports(segments, scenarios, test, labels, scores, problem_type, threshold):
    """The evaluation report's segments and stress_scenarios sections."""
    members = {s["name"]: in_segment(s, test[s["feature"]]) for s in segments}
    return ({s["name"]: segment_evaluation(s, members[s["name"]], labels, scores, problem_type, threshold) for s in segments},
            {c["name"]: stress_evaluation(c, members, labels, scores, problem_type, threshold) for c in scenarios})

def monitor_segment(segment, records, baseline, segment_baseline, problem_type, threshold):
    """One segment of live traffic: the slice's metrics, drift against the same segment in training.

    Drift of a segment is judged only against that segment's own training distribution: against the whole
    population a segment (amount >= 10000) always looks drifted. Without a segment baseline its drift is
    not computed (reported as such). Figures below the segment's minimum support are reported, not published.
    """
    member = in_segment(segment, [r["features"].get(segment["feature"]) for r in records])
    subset = [r for r, keep in zip(records, member) if keep]
    usable = bool(segment_baseline) and segment_baseline.get("statistics") and segment_baseline.get("definition") == definition(segment)
    base = dict(baseline, statistics=segment_baseline["statistics"], score=segment_baseline.get("score")) if usable else baseline
    out = compute_slice(subset, base, problem_type, [], threshold)
    out.pop("bias", None)
    if not usable:
        for f in out["features"].values():
            f["psi"] = None
        out["score_psi"] = None
    out["definition"] = definition(segment)
    out["min_support"] = int(segment.get("minSupport", 1))
    out["drift_baseline"] = "segment" if usable else ("none: the baseline's segment is defined otherwise" if segment_baseline else "none")
    out["status"] = "ok" if out["records"] >= out["min_support"] else "insufficient_data"
    out["quality_status"] = "ok" if out["labelled"] >= out["min_support"] else "insufficient_data"
    return out


def variant_figures(records, shadows, segments, problem_type, threshold):
    """Per variant (production or shadow), its labelled captured records in the evaluation report's shape: rows, the
    aggregate confusion counts and per segment its support and confusion counts at the decision threshold. The
    deployment gate sums them over the windows since a config went live, and compares a shadow's with the production
    variant's on the same requests, segment by segment (classifiers; a regressor's squared errors are not kept)."""
    out = {}
    for variant in sorted(set(r["variant"] for r in records)):
        labelled = [r for r in records if r["variant"] == variant and r.get("label") is not None and r.get("score") is not None]
        entry = {"shadow": variant in shadows, "rows": len(labelled), "decision_threshold": threshold, "segments": {}}
        if problem_type == "binary_classification":
            y = np.asarray([r["label"] for r in labelled], dtype=float)
            sc = np.asarray([r["score"] for r in labelled], dtype=float)
            entry["confusion_matrix"] = {k: int(v) for k, v in confusion(y, sc, threshold).items()}
            for seg in segments:
                member = in_segment(seg, [r["features"].get(seg["feature"]) for r in labelled])
                e = segment_evaluation(seg, member, y, sc, problem_type, threshold)
                e.pop("binary_classification_metrics", None)
                entry["segments"][seg["name"]] = e
        out[variant] = entry
    return out


def segment_metric_data(name, seg, endpoint):
    """Datums of one segment (dimension Segment): counts always; drift and quality only with enough records."""
    data = []

    def put(metric, value, unit="None"):
        if value is None or not math.isfinite(float(value)):
            return
        data.append({"MetricName": metric, "Dimensions": [{"Name": "Endpoint", "Value": endpoint}, {"Name": "Segment", "Value": name}], "Value": float(value), "Unit": unit})

    put("RecordsAnalyzed", seg["records"], "Count")
    put("LabelledRecords", seg["labelled"], "Count")
    if seg["status"] == "ok":
        psis = [f["psi"] for f in seg["features"].values() if f["psi"] is not None]
        put("MaxFeaturePsi", max(psis) if psis else None)
        put("ScorePsi", seg["score_psi"])
    if seg["quality_status"] == "ok" and seg["quality"]:
        for key, metric in (("auc", "Auc"), ("f1", "F1"), ("rmse", "Rmse"), ("r2", "R2")):
            if key in seg["quality"]:
                put(metric, seg["quality"][key]["value"])
    return data


# ---------------------------------------------------------------- reading captured data

def decode(payload):
    data = payload.get("data", "")
    if payload.get("encoding", "").upper() == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
    return data, payload.get("observedContentType", "")


def parse_rows(data, content_type, names):
    """Feature rows of one captured request: CSV rows in baseline order, or JSON objects / lists."""
    if "json" in content_type:
        body = json.loads(data)
        if isinstance(body, dict) and "instances" in body:
            body = body["instances"]
        if isinstance(body, dict) and "features" in body:
            body = body["features"]
        rows = body if isinstance(body, list) and body and isinstance(body[0], (list, dict)) else [body]
        out = []
        for row in rows:
            if isinstance(row, dict):
                out.append({k: row.get(k) for k in names})
            else:
                out.append(dict(zip(names, list(row) + [None] * (len(names) - len(row)))))
        return out
    out = []
    for row in csv.reader(io.StringIO(data)):
        if not row:
            continue
        out.append(dict(zip(names, [v for v in row] + [None] * (len(names) - len(row)))))
    return out


def parse_scores(data, content_type):
    if "json" in content_type:
        body = json.loads(data)
        if isinstance(body, dict):
            body = body.get("predictions", body.get("scores", body.get("score")))
        flat = body if isinstance(body, list) else [body]
        out = []
        for v in flat:
            if isinstance(v, dict):
                v = v.get("score", v.get("probability", v.get("prediction")))
            if isinstance(v, list):
                v = v[0] if v else None
            out.append(to_number(v) if v is not None else None)
        return out
    return [to_number(v) for row in csv.reader(io.StringIO(data)) for v in row[:1]]


def read_jsonl(directory):
    if not directory or not os.path.isdir(directory):
        return
    for root, _, files in sorted(os.walk(directory)):
        for name in sorted(files):
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        yield json.loads(line)
                    except ValueError:
                        raise InputError("%s line %d: not JSON" % (path, n))


def read_labels(directories):
    labels = {}
    for directory in directories:
        for event in read_jsonl(directory):
            event_id = (event.get("eventMetadata") or {}).get("eventId")
            gt = event.get("groundTruthData")
            if not event_id or not gt:
                continue
            data, _ = decode(gt)
            value = to_number(data.strip().split(",")[0]) if data.strip() else None
            if value is not None:
                labels[event_id] = value
    return labels


def read_capture(directories, names, labels):
    """Records of captured traffic: features, score, the label of single-row events where one arrived, and the
    variant whose capture it is (the capture input's directory name: one per variant, as the runner downloads them)."""
    records = []
    malformed = 0
    for directory in directories:
        variant = os.path.basename(os.path.normpath(directory))
        for event in read_jsonl(directory):
            capture = event.get("captureData") or {}
            try:
                rows = parse_rows(*decode(capture.get("endpointInput") or {}), names)
                scores = parse_scores(*decode(capture.get("endpointOutput") or {})) if capture.get("endpointOutput") else []
            except (ValueError, TypeError):
                malformed += 1
                continue
            meta = event.get("eventMetadata") or {}
            # A label joins on the event id, or on the caller's inference id (the same on a request and its shadow copy).
            keys = [k for k in (meta.get("eventId"), meta.get("inferenceId")) if k]
            label = next((labels[k] for k in keys if k in labels), None)
            for i, row in enumerate(rows):
                record = {"features": row, "score": scores[i] if i < len(scores) else None, "variant": variant}
                if len(rows) == 1 and label is not None:
                    record["label"] = label
                records.append(record)
    return records, malformed


def load_json(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputError("%s is missing: the model's drift baseline (baseline-statistics.json and baseline-constraints.json of its training run) must be there" % path)
    except ValueError as e:
        raise InputError("%s is not JSON: %s" % (path, e))


def write_json(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(body, fh, indent=1, sort_keys=True, allow_nan=False, default=str)


def monitor(args):
    baseline = {
        "statistics": load_json(os.path.join(args.baseline, "baseline-statistics.json")),
        "constraints": load_json(os.path.join(args.baseline, "baseline-constraints.json")),
    }
    score_path = os.path.join(args.baseline, "baseline-score-statistics.json")
    if os.path.exists(score_path):
        baseline["score"] = load_json(score_path)["features"][0]
    names = [f["name"] for f in baseline["statistics"].get("features", [])]
    if not names:
        raise InputError("baseline-statistics.json lists no features")
    facets = [f for f in args.facets.split(",") if f and f != "-"]
    unknown = [f for f in facets if f not in names]
    if unknown:
        raise InputError("protected facets %s are not features of the baseline (%s)" % (unknown, ", ".join(names)))
    labels = read_labels(args.ground_truth)
    captured, malformed = read_capture(args.capture, names, labels)
    shadows = set(args.shadow or [])
    # What callers were answered with: the production variants' traffic. A shadow's copy is judged on its own (below).
    records = [r for r in captured if r["variant"] not in shadows]
    result = compute_slice(records, baseline, args.problem_type, facets, args.threshold)
    segments = parse_segments(args.segment, names)
    result["variants"] = variant_figures(captured, shadows, segments, args.problem_type, args.threshold) if segments else {}
    segment_path = os.path.join(args.baseline, "baseline-segment-statistics.json")
    segment_baselines = load_json(segment_path).get("segments", {}) if segments and os.path.exists(segment_path) else {}
    result["segments"] = {s["name"]: monitor_segment(s, records, baseline, segment_baselines.get(s["name"]), args.problem_type, args.threshold) for s in segments}
    result["malformed_events"] = malformed
    result["window"] = {"end": args.window_end, "kind": args.window}
    result["window"]["analysed_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = metric_data(result, args.endpoint)
    for name, seg in sorted(result["segments"].items()):
        data.extend(segment_metric_data(name, seg, args.endpoint))
    write_json(os.path.join(args.output, "report.json"), {"endpoint": args.endpoint, "result": result, "namespace": METRIC_NAMESPACE})
    write_json(os.path.join(args.output, "constraint_violations.json"), {"violations": result["violations"]})
    batches = [data[i:i + MAX_DATUMS_PER_BATCH] for i in range(0, len(data), MAX_DATUMS_PER_BATCH)] or [[]]
    keys = []
    for i, batch in enumerate(batches):
        key = "metrics/batch-%04d.json" % i
        write_json(os.path.join(args.output, key), batch)
        keys.append(key)
    write_json(os.path.join(args.output, "metrics/index.json"), {"namespace": METRIC_NAMESPACE, "batches": keys, "datums": len(data)})
    return result


# ---------------------------------------------------------------- training reports

def read_table(directory):
    """All CSV files of a directory (with a header row) as {column: [values]} and the column order."""
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(directory) for f in fs if f.endswith(".csv")) if os.path.isdir(directory) else []
    if not files:
        raise InputError("%s holds no .csv file" % directory)
    columns, order = {}, None
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise InputError("%s has no header row" % path)
            if order is None:
                order = header
                columns = {h: [] for h in header}
            elif header != order:
                raise InputError("%s has columns %s, not %s" % (path, header, order))
            for row in reader:
                for h, v in zip(order, row + [""] * (len(order) - len(row))):
                    columns[h].append(v)
    return columns, order


def read_scores(directory):
    columns, order = read_table(directory)
    scores = [to_number(v) for v in columns[order[0]]]
    if any(s is None for s in scores):
        raise InputError("%s: every prediction must be a number" % directory)
    return np.asarray(scores, dtype=float)


def shap_design(features, background_rows=50, explained_rows=40, max_coalitions=512, seed=7):
    """Coalitions to score for Kernel SHAP: explained rows with features taken from background rows."""
    rng = np.random.RandomState(seed)
    m = len(features)
    if m <= 10:
        masks = [np.array([1 if i in c else 0 for i in range(m)]) for k in range(1, m) for c in combinations(range(m), k)]
    else:
        masks = []
        for _ in range(max_coalitions):
            k = rng.randint(1, m)
            z = np.zeros(m, dtype=int)
            z[rng.choice(m, k, replace=False)] = 1
            masks.append(z)
    return masks


def shapley_kernel(m, k):
    return (m - 1) / (math.comb(m, k) * k * (m - k)) if 0 < k < m else 0.0


def kernel_shap(masks, coalition_values, f_x, f_base):
    """SHAP values of one row from the model's expected output on each coalition (efficiency exact)."""
    z = np.asarray(masks, dtype=float)
    m = z.shape[1]
    w = np.asarray([shapley_kernel(m, int(k)) for k in z.sum(axis=1)])
    y = np.asarray(coalition_values, dtype=float) - f_base
    total = f_x - f_base
    # Eliminate the last feature with the constraint sum(phi) = total.
    a = z[:, :-1] - z[:, [-1]]
    b = y - z[:, -1] * total
    aw = a * w[:, None]
    phi_head = np.linalg.lstsq(aw.T @ a, aw.T @ b, rcond=None)[0]
    return np.append(phi_head, total - phi_head.sum())


def design_rows(columns, features, masks, background_rows, explained_rows):
    n = len(columns[features[0]])
    bg = list(range(min(n, background_rows)))
    ex = list(range(n - min(n, explained_rows), n))
    rows = []
    for r in ex:
        rows.append([columns[f][r] for f in features])
        for z in masks:
            for b in bg:
                rows.append([columns[f][r] if z[i] else columns[f][b] for i, f in enumerate(features)])
    for b in bg:
        rows.append([columns[f][b] for f in features])
    return rows, ex, bg


def shap_from_design(features, masks, scores, n_explained, n_background):
    per_row = 1 + len(masks) * n_background
    base = float(np.mean(scores[n_explained * per_row:n_explained * per_row + n_background]))
    phis = []
    for r in range(n_explained):
        block = scores[r * per_row:(r + 1) * per_row]
        f_x = float(block[0])
        values = block[1:].reshape(len(masks), n_background).mean(axis=1)
        phis.append(kernel_shap(masks, values, f_x, base))
    mean_abs = np.mean(np.abs(np.asarray(phis)), axis=0)
    return {f: float(v) for f, v in zip(features, mean_abs)}, base


def design_command(args):
    columns, order = read_table(args.test)
    features = [c for c in order if c != args.label]
    masks = shap_design(features)
    rows, _, _ = design_rows(columns, features, masks, args.background_rows, args.explained_rows)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "design.csv"), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(features)
        w.writerows(rows)
    write_json(os.path.join(args.output, "design.json"), {"features": features, "masks": [z.tolist() for z in masks]})


def reports(args):
    train, train_order = read_table(args.train)
    test, test_order = read_table(args.test)
    if args.label not in train_order or args.label not in test_order:
        raise InputError("the label column %r must be in the train and test splits" % args.label)
    features = [c for c in train_order if c != args.label]
    facets = [f for f in args.facets.split(",") if f and f != "-"]
    missing_facets = [f for f in facets if f not in features]
    if missing_facets:
        raise InputError("protected facets %s are not columns of the data (%s)" % (missing_facets, ", ".join(features)))
    scores = read_scores(args.predictions)
    n = len(test[args.label])
    if scores.size != n:
        raise InputError("%d predictions for %d test rows" % (scores.size, n))
    labels = np.asarray([to_number(v) for v in test[args.label]], dtype=float)
    if args.problem_type == "binary_classification":
        evaluation = {"binary_classification_metrics": classification_metrics(labels, scores, args.threshold)}
        positive = (scores >= args.threshold).astype(float)
        facet_pre, facet_post = {}, {}
        for facet in facets:
            pre, post = bias_metrics(positive, test[facet], labels)
            facet_pre[facet], facet_post[facet] = pre, post
        bias = {"version": "1.0", "label": args.label, "pre_training_bias_metrics": {"label": args.label, "facets": facet_pre},
                "post_training_bias_metrics": {"label": args.label, "facets": facet_post}}
    else:
        evaluation = {"regression_metrics": regression_metrics(labels, scores)}
        bias = {"version": "1.0", "label": args.label, "pre_training_bias_metrics": {"label": args.label, "facets": {}},
                "post_training_bias_metrics": {"label": args.label, "facets": {}}}
    segments = parse_segments(args.segment, features)
    scenarios = parse_stress(args.stress)
    if segments or scenarios:
        evaluation["decision_threshold"] = args.threshold
        # The totals each segment's counts are checked against (a segment is a subset of the test split).
        evaluation["rows"] = int(np.asarray(labels).size)
        if args.problem_type == "binary_classification":
            evaluation["confusion_matrix"] = {k: int(v) for k, v in confusion(np.asarray(labels), np.asarray(scores), args.threshold).items()}
        evaluation["segments"], evaluation["stress_scenarios"] = segment_reports(segments, scenarios, test, labels, scores, args.problem_type, args.threshold)
    design = load_json(os.path.join(args.design, "design.json"))
    masks = [np.asarray(z) for z in design["masks"]]
    design_scores = read_scores(args.design_predictions)
    n_explained = min(len(test[args.label]), args.explained_rows)
    n_background = min(len(test[args.label]), args.background_rows)
    expected = n_explained * (1 + len(masks) * n_background) + n_background
    if design_scores.size != expected:
        raise InputError("%d design predictions, expected %d" % (design_scores.size, expected))
    global_shap, base = shap_from_design(design["features"], masks, design_scores, n_explained, n_background)
    explainability = {"version": "1.0", "explanations": {"kernel_shap": {args.label: {"global_shap_values": global_shap, "expected_value": base}}}}
    out = args.output
    write_json(os.path.join(out, "evaluation.json"), evaluation)
    write_json(os.path.join(out, "bias.json"), bias)
    write_json(os.path.join(out, "explainability.json"), explainability)
    write_json(os.path.join(out, "statistics.json"), statistics(test, features))
    base_stats = statistics(train, features)
    write_json(os.path.join(out, "baseline-statistics.json"), base_stats)
    write_json(os.path.join(out, "baseline-constraints.json"), constraints(base_stats))
    write_json(os.path.join(out, "baseline-score-statistics.json"), {"version": 0.0, "features": [feature_statistics("score", scores.tolist(), "Fractional")]})
    if segments:
        # Each segment's own drift baseline: live traffic of a segment is compared with the same segment in training.
        per_segment = {}
        for s in segments:
            train_member = in_segment(s, train[s["feature"]])
            test_member = in_segment(s, test[s["feature"]])
            subset = {f: [v for v, keep in zip(train[f], train_member) if keep] for f in features}
            per_segment[s["name"]] = {"definition": definition(s), "rows": int(train_member.sum()),
                                      "statistics": statistics(subset, features) if train_member.any() else None,
                                      "score": feature_statistics("score", scores[test_member].tolist(), "Fractional") if test_member.any() else None}
        write_json(os.path.join(out, "baseline-segment-statistics.json"), {"version": 0.0, "segments": per_segment})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("monitor")
    m.add_argument("--endpoint", required=True)
    m.add_argument("--problem-type", choices=["binary_classification", "regression"], required=True)
    m.add_argument("--facets", default="-")
    m.add_argument("--threshold", type=float, default=0.5)
    m.add_argument("--baseline", default="/opt/ml/processing/input/baseline")
    m.add_argument("--capture", nargs="*", default=[])
    m.add_argument("--ground-truth", nargs="*", default=[])
    m.add_argument("--window", default="hour")
    m.add_argument("--window-end", default=None)
    m.add_argument("--output", default="/opt/ml/processing/output")
    m.add_argument("--segment", action="append", default=[], help="a segment as JSON (as for reports)")
    m.add_argument("--shadow", action="append", default=[], help="a shadow variant's name: its captures are left out of the endpoint's figures and judged per variant only")
    for name in ("design", "reports"):
        p = sub.add_parser("shap-design" if name == "design" else "reports")
        p.add_argument("--label", default="label")
        p.add_argument("--test", default="/opt/ml/processing/input/test")
        p.add_argument("--output", default="/opt/ml/processing/output")
        p.add_argument("--background-rows", type=int, default=20)
        p.add_argument("--explained-rows", type=int, default=20)
        if name == "reports":
            p.add_argument("--problem-type", choices=["binary_classification", "regression"], required=True)
            p.add_argument("--facets", default="-")
            p.add_argument("--threshold", type=float, default=0.5)
            p.add_argument("--train", default="/opt/ml/processing/input/train")
            p.add_argument("--predictions", default="/opt/ml/processing/input/predictions/test")
            p.add_argument("--design", default="/opt/ml/processing/input/design")
            p.add_argument("--design-predictions", default="/opt/ml/processing/input/predictions/design")
            p.add_argument("--segment", action="append", default=[], help="a segment as JSON: name, feature, values or range {min, max}, minSupport")
            p.add_argument("--stress", action="append", default=[], help="a stress scenario as JSON: name and positiveRate or segmentShare {segment, share}")
    args = parser.parse_args(argv)
    # The capture and ground-truth inputs are the subdirectories SageMaker downloaded (one per variant or day).
    if args.command == "monitor":
        args.capture = expand(args.capture, "/opt/ml/processing/input/capture")
        args.ground_truth = expand(args.ground_truth, "/opt/ml/processing/input/ground-truth")
    try:
        {"monitor": monitor, "reports": reports, "shap-design": design_command}[args.command](args)
    except InputError as e:
        sys.stderr.write("estate_monitoring: %s\n" % e)
        return 2
    return 0


def expand(given, root):
    if given:
        return given
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, d) for d in sorted(os.listdir(root))]


if __name__ == "__main__":
    sys.exit(main())
