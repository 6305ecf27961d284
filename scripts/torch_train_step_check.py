"""Checks cnnc's compiled training step against PyTorch's, step for step.

Loads a model .so through its C ABI (ctypes; cnnc.h, ABI 2), initialises
its parameters, copies them into the same network built with torch.nn
(bench/torch_models.py), then runs --steps training steps on the same
random batches in both with the model's own optimizer settings (the .so
reports them) and compares losses and parameters after every step.

Run with Debian's /usr/bin/python3 (python3-torch). Exits non-zero when a
parameter differs by more than --tolerance (relative to the learning rate
for Adam, to the parameter's largest magnitude for SGD).
"""

import argparse
import ctypes
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from torch_models import AlexNet, LeNet5  # noqa: E402

# The cnnc.h this script's structures follow.
ABI_VERSION = 5
MAX_RANK = 8


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32),
                ("rank", ctypes.c_int32), ("shape", ctypes.c_int64 * MAX_RANK)]


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32),
                ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


class TrainConfig(ctypes.Structure):
    _fields_ = [("loss", ctypes.c_char_p), ("optimizer", ctypes.c_char_p),
                ("schedule", ctypes.c_char_p), ("init", ctypes.c_char_p),
                ("lr", ctypes.c_double), ("momentum", ctypes.c_double),
                ("weight_decay", ctypes.c_double), ("beta1", ctypes.c_double),
                ("beta2", ctypes.c_double), ("eps", ctypes.c_double),
                ("gamma", ctypes.c_double), ("eta_min", ctypes.c_double),
                ("step_size", ctypes.c_int64), ("t_max", ctypes.c_int64),
                ("batch", ctypes.c_int64), ("epochs", ctypes.c_int64),
                ("seed", ctypes.c_uint64), ("nesterov", ctypes.c_int32),
                ("reserved", ctypes.c_int32)]


class StepResult(ctypes.Structure):
    _fields_ = [("loss", ctypes.c_float), ("reserved", ctypes.c_int32),
                ("correct", ctypes.c_int64), ("count", ctypes.c_int64)]


def as_tensor(array, keep):
    shape = (ctypes.c_int64 * array.ndim)(*array.shape)
    keep.append(shape)
    dtype = 1 if array.dtype == np.int32 else 0
    return Tensor(array.ctypes.data, dtype, array.ndim, shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a .so from cnnc models/lenet5.mdl")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tolerance", type=float,
                        help="largest parameter difference, relative to lr "
                        "for adam (default 5e-2) and to the parameter's "
                        "magnitude for sgd (default 1e-5)")
    args = parser.parse_args()

    lib = ctypes.CDLL(os.path.abspath(args.model))
    lib.cnnc_abi_version.restype = ctypes.c_uint32
    if lib.cnnc_abi_version() != ABI_VERSION:
        sys.exit(f"{args.model}: cnnc ABI version {lib.cnnc_abi_version()}, "
                 f"this script speaks version {ABI_VERSION}; recompile the "
                 "model or update the script")
    lib.cnnc_last_error.restype = ctypes.c_char_p
    lib.cnnc_model_name.restype = ctypes.c_char_p
    lib.cnnc_training_config.restype = ctypes.POINTER(TrainConfig)
    lib.cnnc_get_step.restype = ctypes.c_int64

    def check(status):
        if status != 0:
            sys.exit("cnnc: " + lib.cnnc_last_error().decode())

    name = lib.cnnc_model_name().decode()
    nets = {"lenet5": LeNet5, "alexnet": AlexNet}
    if name not in nets or not lib.cnnc_has_training():
        sys.exit(f"no PyTorch twin with training for model '{name}'")
    config = lib.cnnc_training_config().contents
    model = ctypes.c_void_p()
    check(lib.cnnc_create(ABI_VERSION, ctypes.byref(model)))
    check(lib.cnnc_init_params(model, ctypes.c_uint64(7)))

    net = nets[name]()
    params = dict(net.named_parameters())
    names = []
    for i in range(lib.cnnc_num_params()):
        info = TensorInfo()
        check(lib.cnnc_param_info(i, ctypes.byref(info)))
        pname = info.name.decode()
        value = np.empty(params[pname].shape, np.float32)
        check(lib.cnnc_get_param(model, i, value.ctypes.data, value.size))
        with torch.no_grad():
            params[pname].copy_(torch.from_numpy(value))
        names.append(pname)

    optimizer_name = config.optimizer.decode()
    if optimizer_name == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=config.lr,
                               betas=(config.beta1, config.beta2),
                               eps=config.eps, weight_decay=config.weight_decay)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=config.lr,
                              momentum=config.momentum,
                              nesterov=bool(config.nesterov),
                              weight_decay=config.weight_decay)
    print(f"{name}: {optimizer_name} lr {config.lr}, batch {args.batch}, "
          f"{args.steps} steps")

    if args.tolerance is None:
        args.tolerance = 5e-2 if optimizer_name == "adam" else 1e-5
    # Adam moves every parameter by about lr whatever its gradient's size,
    # so where a gradient is as small as eps (1e-8) the few-ulp differences
    # of two summation orders change its step by a visible fraction of lr:
    # its differences are judged against lr. SGD's are
    # judged against the parameter's magnitude.
    def scale_of(theirs):
        if optimizer_name == "adam":
            return config.lr
        return max(float(np.abs(theirs).max()), 1e-12)

    info = TensorInfo()
    check(lib.cnnc_input_info(0, ctypes.byref(info)))
    image_shape = [args.batch] + list(info.shape[1:info.rank])
    rng = np.random.default_rng(1)
    worst = 0.0
    for step in range(1, args.steps + 1):
        images = rng.random(image_shape, dtype=np.float32)
        labels = rng.integers(0, 10, args.batch).astype(np.int32)
        keep = []
        x, y = as_tensor(images, keep), as_tensor(labels, keep)
        result = StepResult()
        check(lib.cnnc_train_step(model, ctypes.byref(x), 1, ctypes.byref(y),
                                  1, ctypes.c_float(config.lr),
                                  ctypes.byref(result)))
        opt.zero_grad()
        loss = F.cross_entropy(net(torch.from_numpy(images)),
                               torch.from_numpy(labels.astype(np.int64)))
        loss.backward()
        opt.step()
        step_worst, where = 0.0, ""
        for i, pname in enumerate(names):
            theirs = params[pname].detach().numpy()
            ours = np.empty(theirs.shape, np.float32)
            check(lib.cnnc_get_param(model, i, ours.ctypes.data, ours.size))
            diff = float(np.abs(ours - theirs).max()) / scale_of(theirs)
            if diff > step_worst:
                step_worst, where = diff, pname
        worst = max(worst, step_worst)
        print(f"step {step}: loss cnnc {result.loss:.7f} torch "
              f"{loss.item():.7f}; parameters max diff "
              f"{step_worst:.2e} ({where})")
    lib.cnnc_destroy(model)
    if worst > args.tolerance:
        sys.exit(f"FAILED: parameters differ by {worst:.2e} > "
                 f"{args.tolerance:.0e}")
    print(f"agree within {args.tolerance:.0e} (worst {worst:.2e})")


if __name__ == "__main__":
    main()
