"""Prints what fusion buys, from bench/cpu.sh's fused and --no-fuse runs.

    python3 bench/fusion_report.py FUSION.jsonl

FUSION.jsonl holds cnnc-bench's lines, each with a "library" field added:
"fused" (cnnc's default) or "unfused" (cnnc --no-fuse). The two libraries
ran in turn, several rounds each, so that a drift of the machine's speed
touches both alike. A case's figure is the median over its rounds of each
run's median call time; the ratio is the unfused time over the fused one,
so above 1 means fusion made it faster.
"""

import json
import statistics
import sys

MODES = {"infer": "inference", "train": "training"}


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: fusion_report.py FUSION.jsonl")
    cases = {}
    with open(sys.argv[1]) as f:
        for text in f:
            text = text.strip()
            if not text.startswith("{"):
                continue
            line = json.loads(text)
            key = (line["model"], line.get("mode", "infer"), line["batch"])
            runs = cases.setdefault(key, {"fused": [], "unfused": []})
            runs[line["library"]].append(line["median_ms"])

    header = ("case", "fused", "--no-fuse", "fused speed / --no-fuse",
              "rounds")
    rows = []
    for (model, mode, batch), runs in cases.items():
        if not runs["fused"] or not runs["unfused"]:
            continue
        fused = statistics.median(runs["fused"])
        unfused = statistics.median(runs["unfused"])
        rows.append((f"{model} {MODES.get(mode, mode)}, batch {batch}",
                     f"{batch * 1000 / fused:,.0f} img/s",
                     f"{batch * 1000 / unfused:,.0f} img/s",
                     f"{unfused / fused:.3f}x",
                     f"{len(runs['fused'])} / {len(runs['unfused'])}"))
    widths = [max(len(r[i]) for r in rows + [header])
              for i in range(len(header))]
    for i, row in enumerate([header] + rows):
        print("  ".join(text.ljust(w) for text, w in zip(row, widths)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
