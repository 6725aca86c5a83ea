"""Generated monitoring scenarios with known answers (seeded), for the jest suites.

Usage: generate.py <directory>. Writes <directory>/baseline/ (the training run's
baseline, computed by the reference script itself from generated training data)
and one directory per scenario with capture/<variant>/ and ground-truth/<day>/
in SageMaker's data capture and Model Monitor's ground-truth formats.

The model: score = logistic((income - 50) / 5), the same in training and live
traffic unless a scenario changes it. Features: income (fractional), tenure
(integral), age_band (string, the protected facet).
"""
import base64
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "processing"))
import estate_monitoring as em  # noqa: E402

BANDS = ["<30", "30-50", "50+"]


def model(income):
    return 1.0 / (1.0 + np.exp(-(np.asarray(income, dtype=float) - 50.0) / 5.0))


def population(rng, n, income_mean=50.0):
    return {
        "income": rng.normal(income_mean, 10.0, n),
        "tenure": rng.randint(0, 120, n),
        "age_band": rng.choice(BANDS, n),
    }


def write_baseline(root, rng):
    train = population(rng, 5000)
    columns = {"income": ["%.3f" % v for v in train["income"]], "tenure": [str(v) for v in train["tenure"]], "age_band": list(train["age_band"])}
    stats = em.statistics(columns, ["income", "tenure", "age_band"])
    os.makedirs(os.path.join(root, "baseline"), exist_ok=True)
    with open(os.path.join(root, "baseline", "baseline-statistics.json"), "w") as fh:
        json.dump(stats, fh)
    with open(os.path.join(root, "baseline", "baseline-constraints.json"), "w") as fh:
        json.dump(em.constraints(stats), fh)
    with open(os.path.join(root, "baseline", "baseline-score-statistics.json"), "w") as fh:
        json.dump({"version": 0.0, "features": [em.feature_statistics("score", model(train["income"]).tolist(), "Fractional")]}, fh)


def write_scenario(root, name, rng, n=3000, income_mean=50.0, labels="truthful", biased_band=None, missing_income=0.0, bad_tenure=0.0, encoding="CSV", variants=("champion",)):
    live = population(rng, n, income_mean)
    score = model(live["income"])
    if biased_band is not None:
        # Scores of the group cut by 30%: positives (score >= 0.5) need income >= 54.6 instead of 50, so DI is about 0.65.
        score = np.where(live["age_band"] == biased_band, score * 0.7, score)
    if labels == "truthful":
        y = (rng.rand(n) < model(live["income"])).astype(int)
    elif labels == "shifted":
        # Label shift: outcomes no longer follow the model's signal (the relation inverted).
        y = (rng.rand(n) < 1.0 - model(live["income"])).astype(int)
    d = os.path.join(root, name)
    for v in variants:
        os.makedirs(os.path.join(d, "capture", v), exist_ok=True)
    os.makedirs(os.path.join(d, "ground-truth", "0"), exist_ok=True)
    files = [open(os.path.join(d, "capture", v, "part-000.jsonl"), "w") for v in variants]
    with open(os.path.join(d, "ground-truth", "0", "labels.jsonl"), "w") as gt:
        for i in range(n):
            income = "" if rng.rand() < missing_income else "%.3f" % live["income"][i]
            tenure = "n/a" if rng.rand() < bad_tenure else str(live["tenure"][i])
            if encoding == "JSON":
                body = json.dumps({"income": float(income) if income else None, "tenure": tenure, "age_band": str(live["age_band"][i])})
                request = {"observedContentType": "application/json", "mode": "INPUT", "data": body, "encoding": "JSON"}
                response = {"observedContentType": "application/json", "mode": "OUTPUT", "data": json.dumps({"predictions": [{"score": float(score[i])}]}), "encoding": "JSON"}
            else:
                row = "%s,%s,%s" % (income, tenure, live["age_band"][i])
                request = {"observedContentType": "text/csv", "mode": "INPUT", "data": base64.b64encode(row.encode()).decode(), "encoding": "BASE64"}
                response = {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "%.6f" % score[i], "encoding": "CSV"}
            event = {"captureData": {"endpointInput": request, "endpointOutput": response}, "eventMetadata": {"eventId": "%s-%d" % (name, i), "inferenceTime": "2026-12-01T21:30:00Z"}, "eventVersion": "0"}
            files[i % len(files)].write(json.dumps(event) + "\n")
            if labels is not None:
                gt.write(json.dumps({"groundTruthData": {"data": str(int(y[i])), "encoding": "CSV"}, "eventMetadata": {"eventId": "%s-%d" % (name, i)}, "eventVersion": "0"}) + "\n")
    for fh in files:
        fh.close()


# The training-report model: additive, so Kernel SHAP has a closed form (phi_j = effect_j(x) - mean effect_j over the background).
WEIGHTS = {"income": 0.02, "tenure": -0.002}
BAND_EFFECT = {"50+": -0.3}


def linear_score(income, tenure, band):
    return 0.5 + WEIGHTS["income"] * (income - 50.0) + WEIGHTS["tenure"] * (tenure - 60.0) + BAND_EFFECT.get(band, 0.0)


def write_csv(path, header, rows):
    import csv
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def training(root):
    """Train and test splits with a label column; the test rows' labels follow the model."""
    rng = np.random.RandomState(7)
    for split, n in (("train", 2000), ("test", 600)):
        p = population(rng, n)
        s = np.asarray([linear_score(i, t, b) for i, t, b in zip(p["income"], p["tenure"], p["age_band"])])
        y = (rng.rand(n) < np.clip(s, 0, 1)).astype(int)
        write_csv(os.path.join(root, split, "part.csv"), ["income", "tenure", "age_band", "label"],
                  [["%.3f" % i, str(t), str(b), str(l)] for i, t, b, l in zip(p["income"], p["tenure"], p["age_band"], y)])


def score(source, target):
    """The model's predict step: one score per row of every CSV in source."""
    import csv
    for name in sorted(os.listdir(source)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(source, name), newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [["%.10f" % linear_score(float(r["income"]), float(r["tenure"]), r["age_band"])] for r in reader]
        write_csv(os.path.join(target, name), ["score"], rows)


def main(root):
    rng = np.random.RandomState(20261201)
    write_baseline(root, rng)
    write_scenario(root, "stable", rng, variants=("champion", "challenger"))
    write_scenario(root, "drifted", rng, income_mean=65.0)
    write_scenario(root, "label-shift", rng, labels="shifted")
    write_scenario(root, "biased", rng, biased_band="50+", labels=None)
    write_scenario(root, "broken-inputs", rng, missing_income=0.12, bad_tenure=0.05, encoding="JSON")


if __name__ == "__main__":
    if sys.argv[1] == "training":
        training(sys.argv[2])
    elif sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1])
