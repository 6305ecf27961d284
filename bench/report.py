"""Prints the table of bench/cpu.sh from the JSON lines of its runs.

    python3 bench/report.py RESULTS.jsonl

RESULTS.jsonl holds the lines cnnc-bench and torch_inference.py
printed. Lines of one model, mode (inference or training) and batch are grouped (cnnc, PyTorch with 2
threads, PyTorch with 1 thread) in the order they first appear. Batch 1 is
reported as latency (median time per image), larger batches as throughput
(images per second); a ratio is cnnc's speed over PyTorch's (PyTorch's
median time over cnnc's), so above 1 means cnnc is faster.
"""

import json
import sys

NAMES = {"lenet5": "LeNet-5", "alexnet": "AlexNet"}


def latency(ms):
    return f"{ms * 1000:,.0f} µs" if ms < 10 else f"{ms:,.1f} ms"


def throughput(images_per_s):
    if images_per_s >= 100:
        return f"{images_per_s:,.0f} img/s"
    return f"{images_per_s:.3g} img/s"


def cell(line, batch):
    """The figure of one run; '*' when its median is over 1.5 times its
    best call (the machine was busy)."""
    if batch == 1:
        text = latency(line["median_ms"])
    else:
        text = throughput(line["images_per_s"])
    return text + ("*" if line["median_ms"] > 1.5 * line["min_ms"] else " ")


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: report.py RESULTS.jsonl")
    cases = {}
    with open(sys.argv[1]) as f:
        for text in f:
            text = text.strip()
            if text.startswith("{"):
                line = json.loads(text)
                key = (line["model"], line.get("mode", "infer"),
                       line["batch"])
                run = (line["harness"], line.get("threads", 1))
                cases.setdefault(key, {})[run] = line

    header = ("case", "measure", "cnnc", "PyTorch (2 threads)",
              "ratio", "PyTorch (1 thread)", "ratio 1t", "calls timed")
    rows = []
    noisy = False
    for (model, mode, batch), runs in cases.items():
        cnnc = next((line for (harness, _), line in runs.items()
                     if harness == "cnnc"), None)
        torch2, torch1 = runs.get(("pytorch", 2)), runs.get(("pytorch", 1))
        if not cnnc or not torch2:
            continue
        what = " training" if mode == "train" else ""
        row = [f"{NAMES.get(model, model)}{what}, batch {batch}",
               "latency per image" if batch == 1 else "throughput",
               cell(cnnc, batch), cell(torch2, batch),
               f"{torch2['median_ms'] / cnnc['median_ms']:.3g}x"]
        calls = [cnnc, torch2]
        if torch1:
            row += [cell(torch1, batch),
                    f"{torch1['median_ms'] / cnnc['median_ms']:.3g}x"]
            calls.append(torch1)
        else:
            row += ["-", "-"]
        row.append(" / ".join(str(c["iterations"]) for c in calls))
        noisy = noisy or any("*" in c for c in row)
        rows.append(tuple(row))

    widths = [max(len(r[i]) for r in [header] + rows)
              for i in range(len(header))]
    align = ["<", "<", ">", ">", ">", ">", ">", ">"]

    def show(row):
        print("  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths)))

    show(header)
    show(tuple("-" * w for w in widths))
    for row in rows:
        show(row)
    threads = sorted({line.get("threads", 1) for runs in cases.values()
                      for (harness, _), line in runs.items()
                      if harness == "cnnc"})
    print("\nTimes are medians of in-process calls on one fixed batch; "
          "ratio = cnnc speed / PyTorch speed\n(PyTorch's median time over "
          "cnnc's: >1 means cnnc is faster). cnnc: vector code on "
          f"{'/'.join(map(str, threads))} thread(s) (batches of 16 or more "
          "split across them).\nPyTorch: inference in eval mode under "
          "inference_mode, training steps in train mode; 'ratio' against 2 "
          "threads, 'ratio 1t' against 1 thread.")
    if noisy:
        print("* median over 1.5x the fastest call: other work was running; "
              "rerun on a quiet machine.")


if __name__ == "__main__":
    main()
