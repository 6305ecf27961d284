#!/usr/bin/env python3
"""The table of bench/gpu.sh, from its JSON lines.

    bench/gpu_report.py RESULTS.jsonl [MORE.jsonl...]

One row per case (model, mode, batch): cnnc's images/s; each variant's
images/s and the default's gain over it ("tiles": over the untiled
kernels, "idx32": over 64-bit indices, "graphs": over calls launched
kernel by kernel), except "8x8", the 8 x 8 tiles' own gain over the default,
"slices", that of slices along the windows (--gpu-aligned-slices), and
"gain", the queued calls' gain over calls made one at a time; then each
PyTorch run and cnnc's speed over it ("ratio": above 1, cnnc is faster).
A run missing from the files (skipped, timed out or failed) shows as "-",
so the table of a run cut short still reads.
"""
import json
import sys

# (column title, ratio title, how a variant's line is recognised, whether
# the ratio is the variant's gain over the default rather than the reverse)
VARIANTS = [
    ("untiled", "tiles", lambda r: r.get("variant") == "untiled", False),
    ("8x8 tiles", "8x8", lambda r: r.get("variant") == "8x8", True),
    ("64-bit idx", "idx32", lambda r: r.get("variant") == "index64", False),
    ("aligned", "slices", lambda r: r.get("variant") == "aligned", True),
    ("no graphs", "graphs", lambda r: r.get("variant") == "no-graphs", False),
    ("queued", "gain", lambda r: r.get("variant") == "queued", True),
]
TORCH = [
    ("torch", lambda r: not r["host_data"] and not r["compiled"]),
    ("torch+H2D", lambda r: r["host_data"] and not r["compiled"]),
    ("compiled", lambda r: not r["host_data"] and r["compiled"]),
]


def speed(row):
    return row.get("images_per_s") if row else None


def cell(row, ratio):
    if speed(row) is None or ratio is None:
        return f" {'-':>12} {'-':>6}"
    return f" {speed(row):>10,.0f}/s {ratio:>6.2f}"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cases = {}
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    key = (row["model"], row["mode"], row["batch"])
                    cases.setdefault(key, []).append(row)
    header = f"{'case':28} {'cnnc':>12}"
    for title, ratio, _, _ in VARIANTS:
        header += f" {title:>12} {ratio:>6}"
    for title, _ in TORCH:
        header += f" {title:>12} {'ratio':>6}"
    print(header)
    for (model, mode, batch), rows in cases.items():
        def find(matches, harness):
            return next((r for r in rows
                         if r["harness"] == harness and matches(r)), None)
        cnnc = find(lambda r: "variant" not in r, "cnnc")
        own = speed(cnnc)
        line = f"{model + ' ' + mode + ' b' + str(batch):28} "
        line += f"{own:>10,.0f}/s" if own else f"{'-':>12}"
        for _, _, matches, inverse in VARIANTS:
            other = find(matches, "cnnc")
            ratio = None
            if own and speed(other):
                ratio = speed(other) / own if inverse else own / speed(other)
            line += cell(other, ratio)
        for _, matches in TORCH:
            other = find(matches, "pytorch")
            line += cell(other, own / speed(other)
                         if own and speed(other) else None)
        print(line)


if __name__ == "__main__":
    main()
