#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""The deepest path into a register of a netlist levels.py reads, cell by cell.

Usage: trace_path.py NETLIST.json REGISTER [MODULE]

levels.py names an over-budget path by its start and end signal only; this shows what lies
between. REGISTER is a flip-flop output's net name, or part of it (e.g. `state_q`,
`u_retire.js_q`); of the flip-flops it matches, the one whose D input is deepest is traced
back to the path's start (the same counting as levels.py: a LUT or distributed-RAM read is a
level, MUXF7/8/9 and CARRY chains none). Each step prints the level reached at its output, the
cell type, and the named nets among the cell's inputs (nets Yosys named after the RTL's
signals; ABC's own nets are left out), which is usually enough to tell which RTL expression
the step belongs to. MODULE (default: the design's top) picks the module of a hierarchical
netlist. Keep a whole-engine netlist with `SYNTH_KEEP=DIR bash hw/synth/synth.sh dma_engine`.
"""

import json
import sys

import levels


def usage_error(message):
    """Bad input: the message on stderr, exit status 2."""
    print(message, file=sys.stderr)
    sys.exit(2)


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 3):
        usage_error(__doc__.strip())
    try:
        with open(args[0]) as f:
            design = json.load(f)
    except (OSError, ValueError) as e:
        usage_error(f"trace_path.py: cannot read {args[0]}: {e}")
    reg = args[1]
    mods = design["modules"]
    if len(args) == 3:
        name = next((n for n in mods if n == args[2] or n.endswith("\\" + args[2])), None)
    else:
        name = next((n for n, m in mods.items() if m.get("attributes", {}).get("top")), None)
    if name is None:
        usage_error(f"trace_path.py: no module {args[2] if len(args) == 3 else '(top)'} in {args[0]}")
    module = mods[name]
    cells = module.get("cells", {})
    names = levels.bit_names(module)

    drivers = levels.driver_map(cells, ())
    ends = []
    for cname, cell in cells.items():
        if cell["type"].startswith("FD"):
            q = [x for x in cell["connections"].get("Q", []) if isinstance(x, int)]
            if q and reg in names.get(q[0], ""):
                for b in cell["connections"].get("D", []):
                    if isinstance(b, int):
                        ends.append((names.get(q[0]), b))
    if not ends:
        usage_error(f"trace_path.py: no flip-flop output named like '{reg}' in {name}")
    best = levels.longest_paths(drivers, [b for _, b in ends])
    qname, b = max(ends, key=lambda e: best[e[1]][:2])
    print(f"deepest path into {qname} (D input): {best[b][0]} levels")
    while best.get(b, (0, 0, b, None))[3] is not None:
        lv, _, _, (ib, t, cname) = best[b]
        cell = cells[cname]
        ins = sorted({names[x] for p, bits in cell["connections"].items()
                      if cell.get("port_directions", {}).get(p) == "input"
                      for x in bits if isinstance(x, int) and x in names
                      and not names[x].startswith("$")})
        print(f"  {lv:>3}  {t:<7} {', '.join(ins)[:160]}")
        b = ib
    print(f"    0  start: {names.get(b, f'bit {b}')}")


if __name__ == "__main__":
    main()
