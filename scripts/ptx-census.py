#!/usr/bin/env python3
"""Counts what each kernel of a PTX file does, for comparing kernels
without a GPU.

    scripts/ptx-census.py FILE.ptx [KERNEL_PREFIX...]

(`cnnc MODEL --emit=ptx > FILE.ptx`.) For each kernel (those whose names
start with a prefix given, else all), one line: its fma and separately
rounded multiplies and adds, its loads from shared memory by width (a
`.v4` load reads 4 floats), its barriers, and for a tiled kernel
(cnn-tile-contractions) the instructions of its loop over slices: the
outermost loop with a barrier, each instruction once, both sides of every
branch, with the fma among them. One slice of a 4 x 4 tile is 8 terms of
16 outputs: 128 fma. A loop inside that loop is counted once and flagged
`(inner loops)`, as its trip count is not known here.

These are counts of the code, not of what runs: they tell which kernel
issues fewer instructions per multiply-add, not how fast it is.
"""
import collections
import re
import sys

ENTRY = re.compile(r"^\.visible \.entry (\w+)\(", re.M)
LABEL = re.compile(r"^(\$L__BB\d+_\d+):")
BRANCH = re.compile(r"\bbra(?:\.uni)?\s+(\$L__BB\d+_\d+);")


def kernels(text):
    starts = [(m.group(1), m.start()) for m in ENTRY.finditer(text)]
    for (name, start), following in zip(starts, starts[1:] + [(None, len(text))]):
        yield name, text[start:following[1]].split("\n")


def instructions(lines):
    """The instructions among `lines`: no labels, comments or directives."""
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("//", "$", ".", "{", "}", ")")):
            yield line


def opcode(instruction):
    words = instruction.split()
    return words[1] if words[0].startswith("@") else words[0]


def slice_loop(lines):
    """(instructions, fma, has inner loops) of the outermost loop with a
    barrier, or None."""
    labels = {m.group(1): i for i, line in enumerate(lines)
              if (m := LABEL.match(line))}
    loops = [(labels[m.group(1)], i) for i, line in enumerate(lines)
             if (m := BRANCH.search(line)) and labels.get(m.group(1), i) < i]
    with_barrier = [(a, b) for a, b in loops
                    if any("bar.sync" in line for line in lines[a:b + 1])]
    if not with_barrier:
        return None
    first, last = max(with_barrier, key=lambda loop: loop[1] - loop[0])
    body = list(instructions(lines[first + 1:last + 1]))
    fma = sum(opcode(i).startswith("fma.") for i in body)
    inner = any(first < a and b < last for a, b in loops)
    return len(body), fma, inner


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    text = open(sys.argv[1]).read()
    prefixes = sys.argv[2:]
    for name, lines in kernels(text):
        if prefixes and not name.startswith(tuple(prefixes)):
            continue
        ops = collections.Counter(opcode(i) for i in instructions(lines))
        shared = {width: sum(n for op, n in ops.items()
                             if re.fullmatch(rf"ld\.shared{width}\.\w+", op))
                  for width in ("", ".v2", ".v4")}
        line = (f"{name}: {ops['fma.rn.f32']} fma, {ops['mul.rn.f32']} mul, "
                f"{ops['add.rn.f32'] + ops['sub.rn.f32']} add/sub; "
                f"shared loads {shared['']} x1, {shared['.v2']} x2, "
                f"{shared['.v4']} x4; {ops['bar.sync']} barriers")
        loop = slice_loop(lines)
        if loop:
            count, fma, inner = loop
            line += (f"; slice loop {count} instructions, {fma} fma"
                     f"{' (inner loops)' if inner else ''}")
        print(line)


if __name__ == "__main__":
    main()
