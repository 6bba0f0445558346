"""Where a server's CPU went, by library: the shares of py-spy's samples in a benchmark's profile.

`python -m benchmarks.run --profile DIR` records each Python server with py-spy for its whole
case (folded stacks, one file per server and room size). This reads such files and counts each
sample for the library of the function running when it was taken: kit's own functions and
templates, SQLAlchemy, the SQLite driver's calls, Jinja, eventlet, python-socketio… What a case
does besides the flows (the join storm, phones leaving, the final `sync`, the step changes timed)
is left out unless `--all` is given, so the shares are those of the contribution and vote flows.

    python -m benchmarks.run --phones 1000 --rates 400 --vote-rates '' --duration 8 --fanouts 0 \\
        --targets kit-eventlet,stack --profile /tmp/profile --profile-rate 400
    python -m benchmarks.shares /tmp/profile/*.folded

The last line of each table says what kit would cost with its own code free: the ratio of the
samples left to those of the reference given with `--reference` (a file of the same run).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# a frame as py-spy writes it: "function (path/to/file.py:line)"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")

# what a case does besides its flows: a sample with one of these in its stack is left out
OUTSIDE_THE_FLOWS = (
    "on_connect",
    "on_join",
    "on_disconnect",
    "_handle_connect",
    "_handle_disconnect",
    "on_sync",
    "on_next",
    "on_start",
)

# the leaf functions whose time is the database driver's own (a call into C, with no Python frame)
DRIVER_CALLS = {"do_execute", "do_execute_no_params", "do_executemany", "do_commit", "do_rollback", "do_close"}

# libraries by the first folder of the file's path, as py-spy shortens it (site-packages or stdlib)
LIBRARIES = {
    "kit": "kit's own functions and templates",
    "sqlalchemy": "SQLAlchemy",
    "eventlet": "eventlet",
    "gevent": "gevent",
    "socketio": "python-socketio and engine.io",
    "engineio": "python-socketio and engine.io",
    "flask_socketio": "Flask-SocketIO",
    "jinja2": "Jinja, MarkupSafe and Babel",
    "markupsafe": "Jinja, MarkupSafe and Babel",
    "babel": "Jinja, MarkupSafe and Babel",
    "flask_babel": "Jinja, MarkupSafe and Babel",
    "flask": "Flask and werkzeug",
    "werkzeug": "Flask and werkzeug",
    "json": "JSON",
    "simple_websocket": "python-socketio and engine.io",
    "wsproto": "python-socketio and engine.io",
    "dns": "eventlet",
    "greenlet": "eventlet",
    "benchmarks": "the reference's own code",
}
SQLITE = "the SQLite driver's calls"
OTHER = "the standard library and the rest"
KIT = LIBRARIES["kit"]


def library_of(frame: str) -> str:
    """The library a sampled frame's function belongs to."""
    found = FRAME.match(frame.strip())
    if found is None:
        return OTHER
    function, path = found.group("function"), found.group("file")
    if function.rsplit(".", 1)[-1] in DRIVER_CALLS:
        return SQLITE
    if path.endswith((".html", ".txt", ".md", ".xml")):
        return KIT  # a template compiled by Jinja: its frames carry the template's name
    return LIBRARIES.get(path.split("/", 1)[0], OTHER)


def shares(path: Path, everything: bool = False) -> tuple[Counter[str], int, int]:
    """Samples by library in one folded file, the number kept and the number left out."""
    by_library: Counter[str] = Counter()
    left_out = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if not everything and any(f.split(" (", 1)[0].rsplit(".", 1)[-1] in OUTSIDE_THE_FLOWS for f in frames):
            left_out += int(count)
            continue
        by_library[library_of(frames[-1])] += int(count)
    return by_library, sum(by_library.values()), left_out


def table(path: Path, by_library: Counter[str], kept: int, left_out: int) -> str:
    lines = [f"## {path.name}", "", f"{kept} samples kept, {left_out} left out (joins, leaving, sync, steps).", ""]
    lines += ["| library | samples | share |", "|---|---:|---:|"]
    for library, count in by_library.most_common():
        lines.append(f"| {library} | {count} | {count / kept * 100:.1f} % |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folded", nargs="+", type=Path, help="py-spy's folded stacks (benchmarks.run --profile)")
    parser.add_argument("--all", action="store_true", help="keep every sample, joins and steps included")
    parser.add_argument("--reference", type=Path, help="a file of the same run to compare each with (the stack's)")
    args = parser.parse_args()
    reference = None
    if args.reference is not None:
        reference = shares(args.reference, args.all)[1]
    for path in args.folded:
        by_library, kept, left_out = shares(path, args.all)
        if not kept:
            print(f"## {path.name}\n\nno samples kept\n")
            continue
        print(table(path, by_library, kept, left_out))
        own = by_library.get(KIT, 0)
        print(f"\nkit's own: {own / kept * 100:.1f} % of the samples kept; without it, {kept - own} samples.")
        if reference:
            print(f"Against {args.reference.name} ({reference} samples): {kept / reference:.2f}× as it is,")
            print(f"{(kept - own) / reference:.2f}× with kit's own functions and templates free.")
        print()


if __name__ == "__main__":
    main()
