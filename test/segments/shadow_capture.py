"""One day of captured traffic of a production variant and its shadow, with ground truth, whose per-segment counts are known.

Usage: shadow_capture.py <root> <rows> <shadow-behaviour>

Writes <root>/capture/champion/part.jsonl, <root>/capture/challenger/part.jsonl (SageMaker data capture lines; each
shadow copy has its own event id and the caller's inference id) and <root>/ground-truth/0/labels.jsonl (keyed by the
inference id). Row i: amount 15000 if i % 3 == 0 (high-value) else 500; merchant electronics if i % 2 == 0
(high-risk-merchant) else grocery; label 1 if i % 5 == 0. The champion scores a positive 0.9 unless i % 7 == 0
(0.2: it misses about one positive in seven), a negative 0.1. The shadow ("better") scores every positive 0.9 and
every negative 0.1; ("misses-high-value") the same but 0.2 for every high-value positive.
"""
import base64
import json
import os
import sys


def main(root, rows, behaviour):
    for d in ("capture/champion", "capture/challenger", "ground-truth/0"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    with open(os.path.join(root, "capture/champion/part.jsonl"), "w") as champ, open(os.path.join(root, "capture/challenger/part.jsonl"), "w") as shadow, \
            open(os.path.join(root, "ground-truth/0/labels.jsonl"), "w") as gt:
        for i in range(rows):
            high = i % 3 == 0
            row = "%s,%s,2,GB,<30" % ("15000.00" if high else "500.00", "electronics" if i % 2 == 0 else "grocery")
            y = 1 if i % 5 == 0 else 0
            champion = (0.2 if i % 7 == 0 else 0.9) if y else 0.1
            if behaviour == "better":
                challenger = 0.9 if y else 0.1
            elif behaviour == "misses-high-value":
                challenger = (0.2 if high else 0.9) if y else 0.1
            else:
                raise SystemExit("unknown behaviour %s" % behaviour)
            request = {"observedContentType": "text/csv", "mode": "INPUT", "data": base64.b64encode(row.encode()).decode(), "encoding": "BASE64"}
            for fh, score, event in ((champ, champion, "p-%d" % i), (shadow, challenger, "s-%d" % i)):
                fh.write(json.dumps({"captureData": {"endpointInput": request, "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "%.6f" % score, "encoding": "CSV"}},
                                     "eventMetadata": {"eventId": event, "inferenceId": "req-%d" % i, "inferenceTime": "2026-12-01T21:30:00Z"}, "eventVersion": "0"}) + "\n")
            gt.write(json.dumps({"groundTruthData": {"data": str(y), "encoding": "CSV"}, "eventMetadata": {"eventId": "req-%d" % i}, "eventVersion": "0"}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
