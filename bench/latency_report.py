#!/usr/bin/env python3
"""Latency figures of a bench/latency.sh run: percentiles from blinkd's own
histogram and exactly from its per-exposure log lines, stage means, a plot.

Usage: bench/latency_report.py --log blinkd.log --metrics metrics.txt --out DIR
       [--budget 5] [--interval 30] [--size 4096] [--workers 2] [--threads 0]
       [--peak-rss-kib N] [--cpu-seconds S]
"""
import argparse
import json
import math
import re

FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')


def science_lines(path):
    """The per-exposure lines of published science exposures, as dicts."""
    rows = []
    with open(path) as f:
        for line in f:
            if "kind=science" not in line or "latency_ms=" not in line:
                continue
            rows.append({k: v.strip('"') for k, v in FIELD.findall(line)})
    return rows


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    v = sorted(values)
    if not v:
        return math.nan
    pos = (len(v) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def histogram_quantile(q, buckets):
    """Prometheus's histogram_quantile over cumulative (le, count) pairs."""
    buckets = sorted(buckets)
    total = buckets[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_count) / max(count - prev_count, 1e-12)
        prev_le, prev_count = le, count
    return prev_le


def read_metrics(path):
    buckets, stage_sum, stage_count = [], {}, {}
    with open(path) as f:
        for line in f:
            m = re.match(r'blink_exposure_duration_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
            if m:
                buckets.append((float(m.group(1)), float(m.group(2))))
            m = re.match(r'blink_stage_duration_seconds_(sum|count)\{stage="([^"]+)"\} (\S+)', line)
            if m:
                (stage_sum if m.group(1) == "sum" else stage_count)[m.group(2)] = float(m.group(3))
    stages = {s: stage_sum[s] / stage_count[s] for s in stage_sum if stage_count.get(s)}
    return buckets, stages


def svg(latencies, budget, title, path):
    w, h, left, bottom, top = 720, 320, 56, 40, 36
    ymax = max([budget * 1.25] + [x * 1.1 for x in latencies])
    bw = (w - left - 16) / max(len(latencies), 1)
    y = lambda v: top + (h - top - bottom) * (1 - v / ymax)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>']
    step = 1 if ymax <= 8 else 2 if ymax <= 16 else 5
    v = 0
    while v <= ymax:
        out.append(f'<line x1="{left}" x2="{w - 16}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v} s</text>')
        v += step
    for i, lat in enumerate(latencies):
        colour = "#2b7bb9" if lat <= budget else "#d9534f"
        out.append(f'<rect x="{left + i * bw + 1:.1f}" y="{y(lat):.1f}" width="{max(bw - 2, 1):.1f}" '
                   f'height="{y(0) - y(lat):.1f}" fill="{colour}"/>')
    out.append(f'<line x1="{left}" x2="{w - 16}" y1="{y(budget):.1f}" y2="{y(budget):.1f}" '
               f'stroke="#d9534f" stroke-dasharray="6 4"/>'
               f'<text x="{w - 18}" y="{y(budget) - 4:.1f}" text-anchor="end" fill="#d9534f">budget {budget} s</text>')
    out.append(f'<text x="{w / 2}" y="{h - 10}" text-anchor="middle">science exposures in the order received</text>')
    out.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", required=True)
    ap.add_argument("--metrics", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=5)
    ap.add_argument("--interval", type=float, default=30)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--peak-rss-kib", type=float, default=math.nan)
    ap.add_argument("--cpu-seconds", type=float, default=math.nan)
    a = ap.parse_args()

    rows = science_lines(a.log)
    if not rows:
        raise SystemExit("latency_report: no published science exposure in " + a.log)
    lat = [float(r["latency_ms"]) / 1e3 for r in rows]
    work = [float(r["total_ms"]) / 1e3 for r in rows]
    buckets, stages = read_metrics(a.metrics)
    hist = {q: histogram_quantile(q, buckets) for q in (0.5, 0.95, 0.99)} if buckets else {}
    exact = {q: percentile(lat, q) for q in (0.5, 0.95, 0.99)}
    within = sum(1 for x in lat if x <= a.budget)

    print(f"\n{len(lat)} science exposures of {a.size}x{a.size}, one every {a.interval:g} s, "
          f"{a.workers} workers, threads_per_exposure {a.threads or 'auto'}")
    print(f"{'received to published':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    if hist:
        print(f"{'  blinkd histogram (Prometheus)':<34}" +
              "".join(f"{hist[q]:>7.2f}s" for q in (0.5, 0.95, 0.99)) + f"{'':>8}")
    print(f"{'  exact, from the log lines':<34}" +
          "".join(f"{exact[q]:>7.2f}s" for q in (0.5, 0.95, 0.99)) + f"{max(lat):>7.2f}s")
    print(f"within the {a.budget:g} s budget: {within}/{len(lat)}; "
          f"processing alone (no queueing) p50 {percentile(work, 0.5):.2f} s")
    if stages:
        print("mean seconds per stage (blink_stage_duration_seconds):")
        for s, v in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(f"  {s:<14}{v:8.3f}")
    if not math.isnan(a.peak_rss_kib):
        print(f"blinkd peak resident memory {a.peak_rss_kib / 1024:.0f} MiB; "
              f"CPU {a.cpu_seconds:.0f} s over the run "
              f"({a.cpu_seconds / len(lat):.1f} s per science exposure, references included)")

    title = (f"Received to published, {a.size}² every {a.interval:g} s: "
             f"p95 {exact[0.95]:.2f} s (histogram {hist.get(0.95, math.nan):.2f} s)")
    svg(lat, a.budget, title, f"{a.out}/latency.svg")
    summary = {"exposures": len(lat), "size": a.size, "interval_s": a.interval, "workers": a.workers, "threads_per_exposure": a.threads,
               "budget_s": a.budget, "within_budget": within,
               "exact_s": {str(q): exact[q] for q in exact},
               "histogram_s": {str(q): hist[q] for q in hist},
               "stage_mean_s": stages, "latency_s": lat,
               "peak_rss_mib": a.peak_rss_kib / 1024, "cpu_s": a.cpu_seconds}
    with open(f"{a.out}/latency.json", "w") as f:
        json.dump(summary, f, indent=2)
    print(f"plot: {a.out}/latency.svg")


if __name__ == "__main__":
    main()
