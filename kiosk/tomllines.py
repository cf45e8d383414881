"""Where things are in a TOML file, so a validation message can name the line.

tomllib gives values, not positions; this walks the text once and maps each key and table, by
its path ("officers[1].pin", "phases[2].steps[0].kind"), to its line number.
"""

from __future__ import annotations

import re


def line_map(text: str) -> dict[str, int]:
    """Where each key and table of a TOML file is: "officers[1].pin" -> line number."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    context = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if array := re.match(r"^\[\[\s*([\w.]+)\s*\]\]", line):
            parts = array.group(1).split(".")
            parent = ".".join(f"{p}[{counters.get(p, 1) - 1}]" for p in parts[:-1])
            name = parts[-1]
            # A nested array restarts its count inside each parent element.
            key = f"{parent}.{name}" if parent else name
            counters[key] = counters.get(key, 0) + 1
            counters[name] = counters[key]
            context = f"{key}[{counters[key] - 1}]"
            lines.setdefault(key, number)
            lines.setdefault(context, number)
        elif table := re.match(r"^\[\s*([\w.]+)\s*\]", line):
            context = table.group(1)
            lines.setdefault(context, number)
        elif key_match := re.match(r"^([\w-]+)\s*=", line):
            lines.setdefault(
                f"{context}.{key_match.group(1)}" if context else key_match.group(1), number
            )
    return lines


def locate(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path``, or of the nearest enclosing key or table that exists in the file.

    ``officers[1].pin`` falls back to ``officers[1]``, ``ballots[1].parties[0]`` to
    ``ballots[1].parties`` (a list written as ``parties = [...]``); a table known only through
    its children (``[a.b.c]``) is found at the first of them."""
    while path:
        if path in lines:
            return lines[path]
        if path.endswith("]") and "[" in path:
            path = path[: path.rindex("[")]
            continue
        if "." not in path:
            children = [n for p, n in lines.items() if p.startswith((f"{path}.", f"{path}["))]
            return min(children, default=None)
        path = path.rpartition(".")[0]
    return None
