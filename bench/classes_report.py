#!/usr/bin/env python3
"""Confusion of Blink's candidate classes against the simulator's truth.

Usage: bench/classes_report.py STATE_DIR/blink.db TRUTH.csv [--radius PX]

Each stored candidate (injected fakes excluded) is matched to the nearest
truth entry of its exposure within --radius pixels; unmatched candidates are
artefacts by truth. Prints rows = truth kind, columns = Blink's best class.
"""
import argparse
import collections
import csv
import math
import sqlite3

TRUTH_CLASS = {
    "transient": "supernova", "transient_hostless": "supernova",
    "transient_nuclear": "nuclear", "variable": "variable", "moving": "moving",
}
CLASSES = ["supernova", "variable", "moving", "nuclear", "artefact"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("truth")
    ap.add_argument("--radius", type=float, default=2.0)
    a = ap.parse_args()
    truth = collections.defaultdict(list)
    with open(a.truth) as f:
        for row in csv.DictReader(f):
            truth[row["exposure_id"]].append((float(row["x"]), float(row["y"]), row["kind"]))
    db = sqlite3.connect(a.db)
    rows = db.execute("SELECT exposure_id, x, y, class FROM candidates WHERE fake_index IS NULL")
    table = collections.defaultdict(collections.Counter)
    for exposure, x, y, cls in rows:
        best, kind = a.radius, "artefact (unmatched)"
        for tx, ty, k in truth.get(exposure, []):
            d = math.hypot(tx - x, ty - y)
            if d <= best:
                best, kind = d, k
        table[kind][cls] += 1
    print(f"{'truth kind':24s}" + "".join(f"{c:>11s}" for c in CLASSES) + f"{'right':>9s}")
    total = right = all_n = all_right = 0
    for kind in sorted(table):
        counts = table[kind]
        n = sum(counts.values())
        want = TRUTH_CLASS.get(kind, "artefact")
        ok = counts[want]
        all_n += n
        all_right += ok
        if kind in TRUTH_CLASS:
            total += n
            right += ok
        print(f"{kind:24s}" + "".join(f"{counts[c]:11d}" for c in CLASSES) + f"{ok / n:9.0%}")
    if total:
        print(f"astrophysical candidates classified right: {right}/{total} = {right / total:.0%}")
    if all_n:
        print(f"all candidates (artefacts included) classified right: {all_right}/{all_n} = {all_right / all_n:.1%}")


if __name__ == "__main__":
    main()
