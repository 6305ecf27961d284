#!/usr/bin/env python3
"""Assembles PTX with ptxas and prints each kernel's machine code size and
registers, to compare two builds without a GPU (and without a
disassembler: the CUDA toolkit here has no cuobjdump or nvdisasm).

    scripts/sass-size.py [--arch sm_90] A.ptx [B.ptx] [KERNEL_PREFIX...]

(`cnnc MODEL --emit=ptx > A.ptx`.) For each kernel (those whose names start
with a prefix given, else all): its SASS instructions (the size of its
`.text` section in the cubin, 16 bytes an instruction from sm_70 on) and
the registers a thread uses (`ptxas -v`); given B, the same for B and the
ratio of B's instructions to A's. Last, the totals over the kernels shown.

Unlike PTX, SASS is what the GPU issues: a 64-bit multiply, one PTX
instruction, is several SASS instructions. Still a count of the code, both
sides of every branch and each loop once, not of what runs.
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile

SASS_BYTES = 16


def ptxas_path():
    root = os.environ.get("CUDA_PATH", "/usr/local/cuda")
    return os.path.join(root, "bin", "ptxas")


def assemble(ptx, arch, cubin):
    """Runs ptxas on `ptx` into `cubin`; returns registers per kernel."""
    result = subprocess.run(
        [ptxas_path(), f"-arch={arch}", "-v", ptx, "-o", cubin],
        capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"sass-size: ptxas failed on {ptx}:\n{result.stderr}")
    registers, kernel = {}, None
    for line in result.stderr.splitlines():
        entry = re.search(r"Compiling entry function '(\w+)'", line)
        if entry:
            kernel = entry.group(1)
        used = re.search(r"Used (\d+) registers", line)
        if used and kernel:
            registers[kernel] = int(used.group(1))
    return registers


def text_sizes(cubin):
    """The size in bytes of each `.text.<kernel>` section of an ELF64 file."""
    data = open(cubin, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"sass-size: {cubin} is not an ELF64 cubin")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
               for i in range(shnum)]
    names = headers[shstrndx][4]  # sh_offset of the section name table
    sizes = {}
    for header in headers:
        start = names + header[0]
        name = data[start:data.index(b"\0", start)].decode()
        if name.startswith(".text."):
            sizes[name[len(".text."):]] = header[5]  # sh_size
    return sizes


def measure(ptx, arch):
    with tempfile.TemporaryDirectory() as folder:
        cubin = os.path.join(folder, "kernels.cubin")
        registers = assemble(ptx, arch, cubin)
        return {kernel: (size // SASS_BYTES, registers.get(kernel, 0))
                for kernel, size in text_sizes(cubin).items()}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--arch", default="sm_90")
    parser.add_argument("files", nargs="+", metavar="FILE.ptx | PREFIX")
    args = parser.parse_args()
    files = [f for f in args.files if f.endswith(".ptx")]
    prefixes = tuple(f for f in args.files if not f.endswith(".ptx"))
    if not 1 <= len(files) <= 2:
        parser.error("give one or two .ptx files")
    a = measure(files[0], args.arch)
    b = measure(files[1], args.arch) if len(files) == 2 else None
    shown = sorted((k for k in a if k.startswith(prefixes) or not prefixes),
                   key=lambda k: -a[k][0])
    header = f"{'kernel':52} {'SASS':>6} {'regs':>4}"
    if b is not None:
        header += f" {'SASS B':>6} {'regs':>4} {'B/A':>5}"
    print(header)
    totals = [0, 0]
    for kernel in shown:
        size, regs = a[kernel]
        totals[0] += size
        line = f"{kernel:52} {size:6d} {regs:4d}"
        if b is not None:
            size_b, regs_b = b.get(kernel, (0, 0))
            totals[1] += size_b
            line += f" {size_b:6d} {regs_b:4d} {size_b / size:5.2f}"
        print(line)
    total = f"{'total':52} {totals[0]:6d}"
    if b is not None:
        total += f" {'':4} {totals[1]:6d} {'':4} {totals[1] / totals[0]:5.2f}"
    print(total)


if __name__ == "__main__":
    main()
