#!/usr/bin/env python3
"""Where Terraform's own CPU goes, from a `perf record -g` of an apply.

Terraform's release binary is stripped, so perf shows bare addresses. Go keeps its function table
(`.gopclntab`) in the binary anyway, for stack traces; this script reads it and names the frames.

    perf record -g -F 2000 -o ours.data -- terraform apply -auto-approve
    python3 tests/bench/profile_terraform.py ours.data                     # inclusive, top 40
    python3 tests/bench/profile_terraform.py ours.data --baseline floor.data  # what ours adds
    python3 tests/bench/profile_terraform.py ours.data --callers ImpliedType  # who calls it

Samples of other processes (the provider, the emulator) are counted under `<process NAME>`.
Needs `perf` and Python 3 only; the Terraform binary is found on PATH (or give --terraform).
"""

import argparse
import bisect
import collections
import shutil
import struct
import subprocess


def go_functions(path):
    """(start address, name) of every function in a Go ELF binary, sorted by address."""
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = sections[shstrndx][4]

    def name_of(section):
        start = names_at + section[0]
        return data[start:data.index(b"\0", start)].decode()

    table = next(s for s in sections if name_of(s) == ".gopclntab")
    pcln = data[table[4]:table[4] + table[5]]
    # Go >= 1.20 header: magic, pad, quantum, ptrsize, then eight 8-byte fields.
    nfunc, _, text_start, funcname_off, _, _, _, functab_off = struct.unpack_from("<8Q", pcln, 8)
    functions = []
    for i in range(nfunc):
        entry, func_off = struct.unpack_from("<II", pcln, functab_off + 8 * i)
        _, name_off = struct.unpack_from("<Ii", pcln, functab_off + func_off)
        start = funcname_off + name_off
        functions.append((text_start + entry, pcln[start:pcln.index(b"\0", start)].decode("utf-8", "replace")))
    functions.sort()
    return functions


def load_base(path):
    """Virtual address of the first loadable segment: perf prints Terraform's frames as offsets
    into the file, and the text segment maps file offset 0 there."""
    data = open(path, "rb").read(4096)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, _, vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1:
            return vaddr
    return 0


def stacks(perf_data, terraform):
    """Each sample as a list of frame names, leaf first."""
    functions = go_functions(terraform)
    starts = [a for a, _ in functions]
    base = load_base(terraform)
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,ip,dso"],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        comm = lines[0].strip()
        if comm != "terraform":
            yield [f"<process {comm}>"]
            continue
        frames = []
        for line in lines[1:]:
            parts = line.split()
            try:
                ip = int(parts[0], 16)
            except (ValueError, IndexError):
                continue
            if parts[-1].endswith("terraform)"):
                frames.append(functions[bisect.bisect_right(starts, ip + base) - 1][1])
            else:
                frames.append(parts[-1])
        if frames:
            yield frames


def inclusive(perf_data, terraform):
    counts, total = collections.Counter(), 0
    for frames in stacks(perf_data, terraform):
        total += 1
        counts.update(set(frames))
    return counts, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("perf_data")
    parser.add_argument("--baseline", help="a second recording; print what the first adds to it")
    parser.add_argument("--callers", metavar="FUNC", help="who calls functions whose name contains FUNC")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--terraform", default=shutil.which("terraform"))
    args = parser.parse_args()

    if args.callers:
        chains = collections.Counter()
        for frames in stacks(args.perf_data, args.terraform):
            hit = next((i for i, f in enumerate(frames) if args.callers in f), None)
            if hit is not None:
                rest = [f for f in frames[hit:] if args.callers not in f][:4]
                chains[" <- ".join(f.rsplit("/", 1)[-1] for f in rest)] += 1
        for chain, n in chains.most_common(args.top):
            print(f"{n:6d}  {chain}")
        return

    counts, total = inclusive(args.perf_data, args.terraform)
    if not args.baseline:
        print(f"{total} samples; share of samples with the function on the stack")
        for name, n in counts.most_common(args.top):
            print(f"{100 * n / total:6.2f}%  {name}")
        return
    base, base_total = inclusive(args.baseline, args.terraform)
    print(f"{total} samples vs {base_total} in the baseline: {total - base_total} more")
    rows = sorted(((counts[k] - base[k], k) for k in set(counts) | set(base)), reverse=True)
    for diff, name in rows[:args.top]:
        print(f"{diff:+7d}  ({counts[name]:6d} vs {base[name]:6d})  {name}")


if __name__ == "__main__":
    main()
