"""Draw docs/architecture.png: xl-mailer's modules, grouped by layer, with their imports.

    python docs/import_graph.py        (needs Graphviz's ``dot`` on the PATH)

The graph is read from the code (grimp, which import-linter uses), so the picture
shows the imports as they are, not as they were meant to be.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

HERE = Path(__file__).resolve().parent
LAYERS = [
    "ribbon",
    "udfs",
    "cli",
    "excel",
    "headless",
    "app",
    "engine",
    "click2mail",
    "sandbox",
    "core",
]
COLOURS = {
    "excel": "#dbe9f6",
    "headless": "#dbe9f6",
    "app": "#e2f0d9",
    "engine": "#fff2cc",
    "click2mail": "#fce4d6",
    "sandbox": "#ededed",
    "core": "#e4dfec",
}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "xl_mailer"


def dot_source() -> str:
    graph = grimp.build_graph("xl_mailer")
    modules = sorted(m for m in graph.modules if m.count(".") >= 1 and not m.endswith("__init__"))
    modules = [m for m in modules if not any(m == f"xl_mailer.{p}" for p in COLOURS)]
    lines = [
        "digraph xl_mailer {",
        "  rankdir=TB; newrank=true; ranksep=0.9;",
        "  node [shape=box, fontname=Helvetica, fontsize=10];",
    ]
    for name in LAYERS:
        members = [m for m in modules if layer(m) == name]
        if not members:
            continue
        if name in COLOURS:
            lines.append(
                f'  subgraph cluster_{name} {{ label="{name}"; style=filled;'
                f' color="{COLOURS[name]}";'
            )
            lines += [f'    "{m}" [label="{m.split(".")[-1]}"];' for m in members]
            lines.append("  }")
        else:
            lines += [f'  "{m}" [label="{m.split(".", 1)[1]}", style=bold];' for m in members]
    for source in modules:
        for target in sorted(graph.find_modules_directly_imported_by(source)):
            if (
                target in modules
                and layer(target) != layer(source)
                or (target in modules and layer(target) == layer(source) and target != source)
            ):
                lines.append(f'  "{source}" -> "{target}" [color="#00000060"];')
    # stack the layers top to bottom, as the import-linter contract orders them
    tiers = [
        ["ribbon", "udfs", "cli"],
        ["excel", "headless"],
        ["app"],
        ["engine", "click2mail", "sandbox"],
        ["core"],
    ]
    firsts = [[m for m in modules if layer(m) in tier] for tier in tiers]
    for upper, lower in zip(firsts, firsts[1:], strict=False):
        for a in upper[:3]:
            for b in lower[:3]:
                lines.append(f'  "{a}" -> "{b}" [style=invis, weight=10];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    target = HERE / "architecture.png"
    subprocess.run(  # noqa: S603 - Graphviz, on our own graph
        ["dot", "-Tpng", "-Gdpi=110", "-o", str(target)],  # noqa: S607
        input=dot_source().encode(),
        check=True,
    )
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
