#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Resources and logic levels of a Yosys netlist mapped by synth_xilinx (write_json).

Usage: levels.py NETLIST.json UNIT BUDGET ENFORCE(0|1) [--require-bram MODULE]

For every module of the design (each one in its own right: a path ends at the module's ports
and at the instances of other modules) it prints the cells by kind and the longest
register-to-register path counted in LUT levels:
- a path starts at a module input, a flip-flop, a block RAM / UltraRAM / DSP output, and ends at
  a module output or at any input of such a cell;
- each LUT1..LUT6 (and INV) on it is one level; a distributed-RAM or SRL read (address to data)
  is one level too;
- MUXF7/MUXF8/MUXF9 and CARRY8 count zero levels: they are the slice's dedicated wide-mux and
  carry logic, a fraction of a LUT and its route (their number on the path is printed beside
  the levels). So "8 levels plus carry chains" is the budget of docs/synthesis.md.
Every module whose longest path is over BUDGET is listed with the number of endpoint bits over
BUDGET and over BUDGET + 4, and its over-budget endpoints (grouped by signal). Exit status 1 if ENFORCE is 1 and any module is over budget, or if
--require-bram names a module that has no RAMB36E2/RAMB18E2/URAM288.
"""

import json
import re
import sys
from collections import Counter, defaultdict

LUTS = {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV"}
WIDE_MUX = {"MUXF7", "MUXF8", "MUXF9"}
CARRY = {"CARRY8", "CARRY4"}
RAMS = {"RAMB36E2", "RAMB18E2", "URAM288"}
# Distributed RAM / SRL: the asynchronous read (address inputs to data outputs) is a LUT level.
LUTRAM_RE = re.compile(r"^(RAM\d+X\d+[SDQ]|RAM\d+M\d*|SRL16E|SRLC32E|SRLC16E)$")
LUTRAM_ADDR_RE = re.compile(r"^(A\d*|ADDR\w*|DPRA\d*|A_\d+)$")
LUTRAM_OUT_RE = re.compile(r"^(O|O\w|DO\w*|SPO|DPO|Q|Q31)$")


def kind(cell_type):
    """Resource column of a cell type."""
    if cell_type in LUTS:
        return "LUT"
    if cell_type.startswith("FD"):
        return "FF"
    if cell_type in ("RAMB36E2",):
        return "RAMB36"
    if cell_type in ("RAMB18E2",):
        return "RAMB18"
    if cell_type == "URAM288":
        return "URAM"
    if cell_type.startswith("DSP"):
        return "DSP"
    if cell_type in CARRY:
        return "CARRY8"
    if cell_type in WIDE_MUX:
        return "MUXF"
    if LUTRAM_RE.match(cell_type):
        return "LUTRAM"
    return "other"


def lutram_reads(cell_type, addr, out):
    """Whether a distributed RAM's output is read at this address input. RAM32M / RAM64M /
    RAM32M16 / RAM64M8 (UG574, "Distributed RAM"): port x's output DOx is read at ADDRx only
    (the last port's address is also the write address). Other types: any address input."""
    if re.match(r"^RAM\d+M\d*$", cell_type):
        return addr.startswith("ADDR") and out.startswith("DO") and addr[4:5] == out[2:3]
    return True


def comb_arcs(cell):
    """(input port, output port, levels) arcs through a combinational cell; [] for a sequential
    cell or an instance (a path boundary)."""
    t = cell["type"]
    dirs = cell.get("port_directions", {})
    ins = [p for p, d in dirs.items() if d == "input"]
    outs = [p for p, d in dirs.items() if d == "output"]
    if t in LUTS:
        w = 1
    elif t in WIDE_MUX or t in CARRY:
        w = 0
    elif LUTRAM_RE.match(t):
        return [(i, o, 1) for i in ins if LUTRAM_ADDR_RE.match(i)
                for o in outs if LUTRAM_OUT_RE.match(o) and lutram_reads(t, i, o)]
    else:
        return []
    return [(i, o, w) for i in ins for o in outs]


def bit_names(module):
    """A readable signal name for each net bit (the module's ports first, then public names,
    shortest first)."""
    ports = module.get("ports", {})
    names = {}
    for name, net in sorted(module["netnames"].items(),
                            key=lambda kv: (kv[0] not in ports, kv[1].get("hide_name", 0),
                                            len(kv[0]))):
        for i, b in enumerate(net["bits"]):
            if isinstance(b, int) and b not in names:
                names[b] = name if len(net["bits"]) == 1 else f"{name}[{i}]"
    return names


def signal(name):
    """Signal name without bit, bank or RAM-tile indices, for grouping."""
    return re.sub(r"(\.\d+)+$", "", re.sub(r"\[\d+\]", "", name))


def area(name):
    """The instance a signal of a flattened design belongs to (its first path component)."""
    return name.split(".")[0] if "." in name else "(top level)"


def driver_map(cells, design_modules):
    """bit -> [(input bits with their levels, cell type, cell name)]: what drives each bit
    through a combinational arc of a cell (instances of the design's modules have none)."""
    drivers = defaultdict(list)
    for cname, cell in cells.items():
        if cell["type"] in design_modules:
            continue
        conns = cell["connections"]
        by_out = defaultdict(list)
        for i, o, w in comb_arcs(cell):
            by_out[o].append((i, w))
        for o, ins in by_out.items():
            for ob in conns.get(o, []):
                if not isinstance(ob, int):
                    continue
                in_bits = [(b, w) for i, w in ins for b in conns.get(i, [])
                           if isinstance(b, int)]
                drivers[ob].append((in_bits, cell["type"], cname))
    return drivers


def longest_paths(drivers, roots):
    """The longest path to each bit the roots depend on: bit -> (levels, wide muxes +
    carries, start bit, (input bit, cell type, cell name) it comes through, or None at a
    start). Iterative DFS; a loop is counted once."""
    best = {}
    for root in roots:
        stack = [(root, False)]
        while stack:
            b, expanded = stack.pop()
            if b in best:
                continue
            if not expanded:
                stack.append((b, True))
                for in_bits, _t, _c in drivers.get(b, []):
                    for ib, _w in in_bits:
                        if ib not in best:
                            stack.append((ib, False))
                continue
            val = (0, 0, b, None)
            for in_bits, t, cname in drivers.get(b, []):
                extra = 1 if (t in WIDE_MUX or t in CARRY) else 0
                for ib, w in in_bits:
                    lv, mx, st, _ = best.get(ib, (0, 0, ib, None))
                    cand = (lv + w, mx + extra, st, (ib, t, cname))
                    if cand[:2] > val[:2]:
                        val = cand
            best[b] = val
    return best


def analyse(module, design_modules):
    cells = module.get("cells", {})
    counts = Counter()
    endpoints = []                   # (bit, where)
    for cname, cell in cells.items():
        t = cell["type"]
        conns = cell["connections"]
        if t in design_modules:
            counts["instances"] += 1
        else:
            counts[kind(t)] += 1
        arcs = comb_arcs(cell) if t not in design_modules else []
        if arcs:
            # LUTRAM/SRL write-side inputs end paths.
            comb_ins = {i for i, _, _ in arcs}
            for p, d in cell.get("port_directions", {}).items():
                if d == "input" and p not in comb_ins:
                    for b in conns.get(p, []):
                        if isinstance(b, int):
                            endpoints.append((b, f"{t} {cname}.{p}"))
        else:
            dirs = cell.get("port_directions", {})
            for p, bits in conns.items():
                if dirs.get(p, "input") == "input":
                    for b in bits:
                        if isinstance(b, int):
                            endpoints.append((b, (t, cname, p)))
    for pname, port in module.get("ports", {}).items():
        if port["direction"] in ("output", "inout"):
            for b in port["bits"]:
                if isinstance(b, int):
                    endpoints.append((b, f"output {pname}"))

    # Longest path to each bit: (levels, wide muxes + carries, start bit, ...).
    best = longest_paths(driver_map(cells, design_modules), [b for b, _ in endpoints])

    names = bit_names(module)

    def describe(b, where):
        """The endpoint as a reader knows it: a flip-flop by the register it is, a RAM or an
        instance by its name and pin, a port by its name."""
        if isinstance(where, str):
            return names.get(b, f"bit {b}"), where
        t, cname, pin = where
        cell = cells[cname]
        if t.startswith("FD"):
            q = [x for x in cell["connections"].get("Q", []) if isinstance(x, int)]
            return (names.get(q[0], cname) if q else cname), f"{t}.{pin}"
        return re.sub(r"\\[0-9]+$", "", cname.lstrip("\\")), f"{t}.{pin}"

    paths = []
    for b, where in endpoints:
        lv, mx, st, _ = best.get(b, (0, 0, b, None))
        end, pin = describe(b, where)
        paths.append((lv, mx, names.get(st, f"bit {st}"), end, pin))
    paths.sort(key=lambda p: (-p[0], -p[1]))
    return counts, paths


def main():
    args = sys.argv[1:]
    require = []
    while "--require-bram" in args:
        i = args.index("--require-bram")
        require.append(args[i + 1])
        del args[i:i + 2]
    if len(args) != 4:
        sys.exit(__doc__)
    path, unit, budget, enforce = args[0], args[1], int(args[2]), args[3] == "1"
    design = json.load(open(path))
    mods = {n: m for n, m in design["modules"].items()
            if not m.get("attributes", {}).get("blackbox") and not n.startswith("$")
            and not n.startswith("\\$") and m.get("cells") is not None}
    # Keep the modules of the hierarchy under the top only (the library's helpers are not).
    tops = [n for n, m in mods.items() if m.get("attributes", {}).get("top")]
    keep, todo = set(), list(tops)
    while todo:
        n = todo.pop()
        if n in keep or n not in mods:
            continue
        keep.add(n)
        todo.extend(c["type"] for c in mods[n]["cells"].values() if c["type"] in mods)

    failed = False
    cols = ["LUT", "FF", "RAMB36", "RAMB18", "URAM", "DSP", "CARRY8", "MUXF", "LUTRAM"]
    print(f"{unit}: resources per module (a module's own cells; instances not included)")
    print(f"  {'module':<44}" + "".join(f"{c:>8}" for c in cols) + f"{'levels':>8}")
    over = []
    for n in sorted(keep, key=lambda n: (n not in tops, n)):
        counts, paths = analyse(mods[n], mods)
        lv = paths[0][0] if paths else 0
        short = re.sub(r"^\$paramod\\|\\?\$[0-9a-f]{40}\\?|\\", "", n)[:44]
        print(f"  {short:<44}" + "".join(f"{counts.get(c, 0):>8}" for c in cols) + f"{lv:>8}")
        if lv > budget:
            over.append((short, paths))
    # Each required name must own block RAM / UltraRAM: a module of that name, or (flattened
    # design) RAM cells whose instance path contains it.
    for r in require:
        rams = 0
        for n in keep:
            for cname, cell in mods[n]["cells"].items():
                if cell["type"] in RAMS and (r in cname or n == r or n.endswith("\\" + r)):
                    rams += 1
        if rams == 0:
            print(f"FAIL {unit}: {r} has no RAMB36E2/RAMB18E2/URAM288 (it became flip-flops "
                  f"or LUTs: the BAR2 memory no longer matches a block RAM template)")
            failed = True
        else:
            print(f"  {r}: {rams} block RAM / UltraRAM cells")
    for short, paths in over:
        # The deepest paths of each area (instance of the endpoint), up to 3 distinct ones each,
        # so that one deep block does not hide the others.
        # How much is over, not only how deep the deepest is: the count of endpoint bits (a
        # flip-flop input, a RAM or instance pin, an output bit) behind more than the budget,
        # and behind more than the budget + 4, shows progress when the longest path stays.
        over_n = sum(1 for p in paths if p[0] > budget)
        far_n = sum(1 for p in paths if p[0] > budget + 4)
        print(f"  {short}: {over_n} of {len(paths)} endpoint bits over {budget} levels, "
              f"{far_n} over {budget + 4}")
        print(f"  over budget ({budget} LUT levels) in {short}, by the instance they end in:")
        shown = defaultdict(list)
        for lv, mx, st, en, where in paths:
            if lv <= budget:
                break
            key = (signal(st), signal(en))
            group = shown[area(en)]
            if len(group) < 3 and key not in [k for k, _ in group]:
                group.append((key, f"{lv:>3} levels (+{mx} MUXF/CARRY): {key[0]} -> {key[1]} "
                                   f"({where})"))
        for _, group in shown.items():
            for _, line in group:
                print(f"    {line}")
    if over and enforce:
        print(f"FAIL {unit}: over the logic-level budget of {budget}")
        failed = True
    elif over:
        print(f"  ({unit}: over budget, reported only)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
