"""How long the pages a phone and the console load take, on each server `kit serve` runs on.

A phone that scans the QR code loads the join page, then its stylesheet and its scripts; the
console loads its page. Each is asked for again and again on one kept-alive connection, as a
browser does, and the median time to the whole answer is printed with its size:

    python -m benchmarks.pages --modes eventlet,gevent,threading --repeat 300

On the loopback a page takes about a millisecond: an answer that takes tens of ms waits for
something other than work, such as a write held back for the client's acknowledgement of the
last (docs/performance.md, "what each connection keeps and how it sends").
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.servers import Server, available


def pages(server: Server) -> dict[str, str]:
    """What is timed, by name: the phone's page and what it loads, and the console's page."""
    return {
        "join page": f"/j/{server.code}",
        "kit.css": "/static/kit.css",
        "common.js": "/static/live/common.js",
        "phone.js": "/static/live/phone.js",
        "console": f"/m/{server.code}/console?key={server.console_key}",
    }


def measure(mode: str, repeat: int) -> dict[str, tuple[float, int]]:
    """The median ms and the size in bytes of each page, on a fresh `kit serve` in `mode`."""
    with tempfile.TemporaryDirectory() as folder:
        server = Server(f"kit-{mode}", Path(folder))
        server.start()
        try:
            timings: dict[str, tuple[float, int]] = {}
            with requests.Session() as browser:
                for name, path in pages(server).items():
                    times = []
                    for _ in range(repeat):
                        began = time.perf_counter()
                        answer = browser.get(server.url + path, timeout=30)
                        times.append((time.perf_counter() - began) * 1000)
                        answer.raise_for_status()
                    timings[name] = (statistics.median(times), len(answer.content))
            return timings
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="eventlet,gevent,threading", help="comma-separated async modes")
    parser.add_argument("--repeat", type=int, default=300, help="requests per page")
    args = parser.parse_args()
    results = {}
    for mode in args.modes.split(","):
        reason = available(f"kit-{mode}")
        if reason:
            print(f"{mode}: skipped, {reason}")
            continue
        results[mode] = measure(mode, args.repeat)
    names = list(next(iter(results.values())).keys()) if results else []
    print(f"median ms over {args.repeat} requests on one connection (size in bytes)")
    print("| page | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in names:
        size = next(iter(results.values()))[name][1]
        cells = " | ".join(f"{results[mode][name][0]:.2f}" for mode in results)
        print(f"| {name} ({size:,} B) | {cells} |")


if __name__ == "__main__":
    main()
