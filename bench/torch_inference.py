"""PyTorch's side of the inference benchmark, and the correctness check.

Timing (the same JSON line as cnnc-bench prints):

    python3 bench/torch_inference.py --model lenet5 --batch 256 [--min-time 2]

builds the model of bench/torch_models.py in eval mode with freshly
initialised parameters, makes one pseudo-random input batch in [0, 1),
warms up, then times repeated forward passes under torch.inference_mode()
with time.perf_counter and prints one line: model, batch, iterations,
median_ms, min_ms, images_per_s, ...

Check:

    python3 bench/torch_inference.py --check DIR

loads what `cnnc-bench MODEL.so --save-params DIR` wrote (parameters,
input batch, cnnc's logits), runs the PyTorch model on the same input with
the same parameters and prints the largest difference from cnnc's logits;
exits non-zero, printing FAIL, when the relative difference is 1e-4 or more.

Needs torch and numpy only (Debian: python3-torch, python3-numpy).
"""

import argparse
import glob
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


def sig(x):
    """x rounded to 6 significant digits, as cnnc-bench prints."""
    return float(f"{x:.6g}")


def training_step(model_name, model, image, device="cpu"):
    """One training step as the model's train section has it (Adam 1e-3 for
    LeNet-5, SGD with momentum 0.9 and weight decay 5e-4 at 0.01 for
    AlexNet), on `image` and pseudo-random labels: forward, cross-entropy,
    backward, update."""
    model.train()
    labels = torch.randint(0, 10 if model_name == "lenet5" else 1000,
                           (image.shape[0],)).to(device)
    if model_name == "lenet5":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01,
                                    momentum=0.9, weight_decay=5e-4)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(image), labels)
        loss.backward()
        optimizer.step()
    return step


def benchmark(args):
    torch.manual_seed(args.seed)
    model, input_shape = torch_models.build(args.model)
    model = model.to(args.device)
    host_image = torch.rand((args.batch,) + input_shape, dtype=torch.float32)
    image = host_image.to(args.device)
    forward = model
    if args.compile:
        # What the GPU reference used for PyTorch's best figures.
        forward = torch.compile(model, mode="reduce-overhead")
    if args.train:
        step = training_step(args.model, forward, image, args.device)
        mode = torch.enable_grad()
    else:
        def step():
            forward(image)
        mode = torch.inference_mode()
    on_gpu = args.device.startswith("cuda")

    def call():
        if args.host_data:
            # As cnnc's ABI takes tensors: the batch uploaded, outputs read.
            image.copy_(host_image, non_blocking=False)
        step()
        if on_gpu:
            torch.cuda.synchronize()

    with mode:
        # Warm-up: at least one call, then more until 0.2 s have passed
        # (at most 100), unless --warmup says how many.
        warm_start = time.perf_counter()
        call()
        warmups = 1
        while (warmups < 100 and time.perf_counter() - warm_start < 0.2
               if args.warmup is None else warmups < args.warmup):
            call()
            warmups += 1

        times_ms = []
        bench_start = time.perf_counter()
        while True:
            if args.iterations is not None:
                if len(times_ms) >= args.iterations:
                    break
            elif (len(times_ms) >= args.min_iterations
                  and time.perf_counter() - bench_start >= args.min_time):
                break
            start = time.perf_counter()
            call()
            times_ms.append((time.perf_counter() - start) * 1000.0)

    line = {"harness": "pytorch", "mode": "train" if args.train else "infer",
            "model": args.model, "device": args.device,
            "compiled": args.compile, "host_data": args.host_data,
            "batch": args.batch,
            "threads": torch.get_num_threads(), "warmup": warmups,
            "iterations": len(times_ms)}
    if times_ms:
        median = statistics.median(times_ms)
        line.update({
            "median_ms": sig(median),
            "min_ms": sig(min(times_ms)),
            "max_ms": sig(max(times_ms)),
            "mean_ms": sig(statistics.fmean(times_ms)),
            "us_per_image": sig(median * 1000.0 / args.batch),
            "images_per_s": sig(args.batch / (median / 1000.0)),
        })
    line["torch"] = torch.__version__
    print(json.dumps(line), flush=True)


def load_saved(directory):
    """meta, parameters (name -> tensor), input and output of --save-params."""
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    params = {}
    for path in sorted(glob.glob(os.path.join(directory, "param.*.npy"))):
        name = os.path.basename(path)[len("param."):-len(".npy")]
        params[name] = torch.from_numpy(np.load(path))
    inputs = glob.glob(os.path.join(directory, "input.*.npy"))
    outputs = glob.glob(os.path.join(directory, "output.*.npy"))
    if len(inputs) != 1 or len(outputs) != 1:
        raise SystemExit(f"{directory}: expected one input.*.npy and one "
                         f"output.*.npy, found {len(inputs)} and "
                         f"{len(outputs)}")
    image = torch.from_numpy(np.load(inputs[0]))
    logits = torch.from_numpy(np.load(outputs[0]))
    return meta, params, image, logits


def difference(a, b):
    """Largest |a - b|, and that divided by the largest |b|."""
    abs_diff = (a.double() - b.double()).abs().max().item()
    scale = b.double().abs().max().item()
    return abs_diff, abs_diff / scale if scale > 0 else abs_diff


def check(args):
    meta, params, image, cnnc_logits = load_saved(args.check)
    model, input_shape = torch_models.build(meta["model"])
    if tuple(image.shape[1:]) != input_shape:
        raise SystemExit(f"{args.check}: input of shape {list(image.shape)}, "
                         f"{meta['model']} takes [N, "
                         f"{', '.join(map(str, input_shape))}]")
    # strict: every parameter present, of the same shape, nothing extra.
    model.load_state_dict(params, strict=True)

    with torch.inference_mode():
        torch_logits = model(image)
        exact = model.double()(image.double())  # a float64 reference

    abs_diff, rel_diff = difference(cnnc_logits, torch_logits)
    abs_f64, rel_f64 = difference(cnnc_logits, exact)
    abs_t64, rel_t64 = difference(torch_logits, exact)
    ok = rel_diff < args.tolerance
    print(f"check {meta['model']} (batch {image.shape[0]}, seed "
          f"{meta['seed']}, {len(params)} parameter tensors, logits "
          f"{list(cnnc_logits.shape)}, max |logit| "
          f"{torch_logits.abs().max().item():.4g}):")
    print(f"  cnnc vs PyTorch f32:    max abs diff {abs_diff:.3e}, "
          f"max rel diff {rel_diff:.3e}")
    print(f"  cnnc vs f64 reference:  max abs diff {abs_f64:.3e}, "
          f"max rel diff {rel_f64:.3e}")
    print(f"  PyTorch f32 vs f64:     max abs diff {abs_t64:.3e}, "
          f"max rel diff {rel_t64:.3e}")
    print(f"  (rel = max abs diff / max |logit|; tolerance {args.tolerance:g})"
          f"  {'OK' if ok else 'FAIL'}")
    if not ok:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(torch_models.MODELS),
                        help="the model to time")
    parser.add_argument("--train", action="store_true",
                        help="time training steps (forward, cross-entropy, "
                        "backward, the optimizer update) instead of "
                        "inference")
    parser.add_argument("--batch", type=int, default=1,
                        help="images per forward pass (default 1)")
    parser.add_argument("--iterations", type=int,
                        help="time exactly N forward passes")
    parser.add_argument("--min-time", type=float, default=2.0,
                        help="otherwise: time passes until S seconds have "
                             "passed (default 2) ...")
    parser.add_argument("--min-iterations", type=int, default=3,
                        help="... and at least N passes were made (default 3)")
    parser.add_argument("--warmup", type=int,
                        help="untimed passes first; the first pass is "
                             "always one (default: more until 0.2 s have "
                             "passed, at most 100)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the parameters and the input")
    parser.add_argument("--device", default="cpu",
                        help="cpu (default) or cuda: where the model and "
                             "the batch live")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile(mode='reduce-overhead') first")
    parser.add_argument("--host-data", action="store_true",
                        help="copy the batch from host memory in every "
                             "call, as cnnc's ABI does")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch.set_num_threads (default 2)")
    parser.add_argument("--check", metavar="DIR",
                        help="compare with what cnnc-bench "
                             "--save-params DIR wrote, instead of timing")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest relative difference --check accepts")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.check:
        check(args)
    elif args.model:
        if args.batch < 1:
            parser.error("--batch must be positive")
        benchmark(args)
    else:
        parser.error("give --model NAME to time, or --check DIR")


if __name__ == "__main__":
    main()
