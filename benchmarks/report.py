"""Write a run's results: JSON (everything), a Markdown table, and PNG plots (matplotlib, if installed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.servers import LABELS

REFERENCE = "bare-sqlite"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def _ratio(value: Any, reference: Any) -> str:
    if not isinstance(value, int | float) or not isinstance(reference, int | float) or reference <= 0:
        return "–"
    return f"{value / reference:.1f}×"


def _index(cases: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(case["target"], case["phones"]): case for case in cases}


def _flow(case: dict[str, Any], rate: int) -> dict[str, Any]:
    return next((entry for entry in case.get("flows", []) if entry["rate"] == rate), {})


def _vote_entries(case: dict[str, Any]) -> list[dict[str, Any]]:
    # runs from before the vote flow have a sentence here
    votes = case.get("votes")
    return votes if isinstance(votes, list) else []


def _votes(case: dict[str, Any], rate: int) -> dict[str, Any]:
    return next((entry for entry in _vote_entries(case) if entry["rate"] == rate), {})


def _vote_check(entry: dict[str, Any]) -> str:
    if "consistent" not in entry:
        return f"screen: lost {entry['lost']}, extra {entry['extra']}; store not read"
    if entry["consistent"]:
        return "ok"
    return (
        f"lost {entry['lost']}, extra {entry['extra']}, stored {entry['stored']}/{entry['counted']}"
        f", unchanged {entry['unchanged']}"
    )


def markdown(report: dict[str, Any]) -> str:
    cases = report["cases"]
    options = report["options"]
    by = _index(cases)
    lines = [
        f"# Benchmark run {report['date']} — {report['cores']} cores",
        "",
        f"`{report.get('command', 'python -m benchmarks.run')}`",
        "",
        f"Python {report['python']}; {options['workers']} client processes; phones join within "
        f"{options['join_window']} s; each contribution and vote flow lasts {options['duration']} s; "
        f"{options['fanouts']} step changes per room. Whole run: {report['wall_seconds']} s. Clients and server "
        "share the same cores, so every figure includes client time: compare rows, not absolute values.",
        "",
        "Latencies are in ms (p50 / p95 / p99), from a phone's send to the screen's receipt. "
        "`ok` means acked = stored = shown, nothing lost, nothing shown or stored twice. "
        "Ratios are against the bare python-socketio server inserting into SQLite, same room, same rate.",
        "",
    ]
    if report.get("skipped"):
        lines += ["Skipped: " + "; ".join(f"{t} ({why})" for t, why in report["skipped"].items()), ""]

    lines += [
        "## Join storm and memory",
        "",
        "| server | phones | joined | join p50 / p95 / p99 | p99 × ref | CPU ms/join | RSS MB | KB per phone |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        if "join" not in case:
            lines.append(f"| {LABELS[case['target']]} | {case['phones']} | failed: {case['error'][:80]} | | | | | |")
            continue
        join = case["join"]
        ref = by.get((REFERENCE, case["phones"]), {}).get("join", {})
        lines.append(
            f"| {LABELS[case['target']]} | {case['phones']} | {join['ok']}/{join['ok'] + join['failed']} | "
            f"{_fmt(join['p50_ms'])} / {_fmt(join['p95_ms'])} / {_fmt(join['p99_ms'])} | "
            f"{_ratio(join['p99_ms'], ref.get('p99_ms'))} | {_fmt(join.get('cpu_ms_per_join'))} | "
            f"{_fmt(case.get('rss_mb'))} | "
            f"{_fmt(case.get('rss_per_phone_kb'))} |"
        )
    lines += [
        "",
        "## Contribution flow (send → screen)",
        "",
        "| server | phones | rate/s | acked | ok | p50 / p95 / p99 | p99 × ref | CPU ms/msg | CPU × ref "
        "| client lag p99 |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        for entry in case.get("flows", []):
            ref = _flow(by.get((REFERENCE, case["phones"]), {}), entry["rate"])
            if "consistent" not in entry:
                # the case stopped before the store was read back: only what the screen saw is known
                ok = f"screen: lost {entry['lost']}, twice {entry['shown_twice']}; store not read"
            elif entry["consistent"]:
                ok = "ok"
            else:
                ok = f"lost {entry['lost']}, twice {entry['shown_twice']}, stored {entry.get('stored')}"
            lines.append(
                f"| {LABELS[case['target']]} | {case['phones']} | {entry['rate']} | {entry['acked']}/{entry['sent']} | "
                f"{ok} | {_fmt(entry['p50_ms'])} / {_fmt(entry['p95_ms'])} / {_fmt(entry['p99_ms'])} | "
                f"{_ratio(entry['p99_ms'], ref.get('p99_ms'))} | {_fmt(entry['cpu_ms_per_message'])} | "
                f"{_ratio(entry['cpu_ms_per_message'], ref.get('cpu_ms_per_message'))} | "
                f"{_fmt(entry['client_lag_p99_ms'])} |"
            )
    floods = [case for case in cases if case.get("flood")]
    if floods:
        lines += [
            "",
            '## One phone flooding (docs/protocol.md, "Fair share")',
            "",
            "The first rate again while one joined phone sends votes and syncs without waiting for answers.",
            "",
            "| server | phones | rate/s | flood/s | flood answers | acked | lost | screen p99 flooded / not |",
            "|---|---:|---:|---:|---|---:|---:|---|",
        ]
        for case in floods:
            f = case["flood"]
            answers = ", ".join(f"{code} {count}" for code, count in f["flood_answers"].items())
            lines.append(
                f"| {LABELS[case['target']]} | {case['phones']} | {f['rate']} | {f['flood_per_s']} | {answers} | "
                f"{f['acked']}/{f['sent']} | {f['lost']} | {_fmt(f['p99_ms'])} / {_fmt(f['without_p99_ms'])} |"
            )
    lines += [
        "",
        "Highest rate tried that kept p99 under 100 ms with nothing lost:",
        "",
    ]
    for case in cases:
        good = [e["rate"] for e in case.get("flows", []) if e.get("consistent") and (e["p99_ms"] or 1e9) < 100]
        lines.append(f"- {LABELS[case['target']]}, {case['phones']} phones: {max(good) if good else 'none'}")
    if any(_vote_entries(case) for case in cases):
        lines += [
            "",
            "## Vote flow (send → screen's count)",
            "",
            "Phones vote for needs they have not voted for yet, round-robin; a vote is shown when the screen is "
            "first sent a count for its need that includes it. kit sends the screen counts coalesced, once per "
            "`KIT_SCREEN_COUNTS_INTERVAL` (0.1 s unless set otherwise); the references send the new count at each "
            "vote. "
            "`ok` means the counts the screen was sent last, the counts a `sync` returns and the votes acked agree "
            "for every need.",
            "",
            "| server | phones | rate/s | acked | ok | p50 / p95 / p99 | p99 × ref | CPU ms/vote | CPU × ref "
            "| client lag p99 |",
            "|---|---:|---:|---:|---|---|---:|---:|---:|---:|",
        ]
        for case in cases:
            for entry in _vote_entries(case):
                ref = _votes(by.get((REFERENCE, case["phones"]), {}), entry["rate"])
                lines.append(
                    f"| {LABELS[case['target']]} | {case['phones']} | {entry['rate']} | "
                    f"{entry['acked']}/{entry['sent']} | {_vote_check(entry)} | "
                    f"{_fmt(entry['p50_ms'])} / {_fmt(entry['p95_ms'])} / {_fmt(entry['p99_ms'])} | "
                    f"{_ratio(entry['p99_ms'], ref.get('p99_ms'))} | {_fmt(entry['cpu_ms_per_vote'])} | "
                    f"{_ratio(entry['cpu_ms_per_vote'], ref.get('cpu_ms_per_vote'))} | "
                    f"{_fmt(entry['client_lag_p99_ms'])} |"
                )
    lines += [
        "",
        "## Step change fan-out (console `next` → last phone has the new state)",
        "",
        "| server | phones | median ms (last phone) | × ref | phones reached (worst run) |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        if "fanout" not in case:
            continue
        ref = by.get((REFERENCE, case["phones"]), {}).get("fanout", {})
        fan = case["fanout"]
        lines.append(
            f"| {LABELS[case['target']]} | {case['phones']} | {_fmt(fan['median_last_ms'])} | "
            f"{_ratio(fan['median_last_ms'], ref.get('median_last_ms'))} | {fan['received_min']}/{case['join']['ok']} |"
        )
    stopped = [case for case in cases if "error" in case]
    if stopped:
        lines += ["", "## Cases that stopped before the end", ""]
        lines += [f"- {LABELS[case['target']]}, {case['phones']} phones: {case['error']}" for case in stopped]
    lines.append("")
    minutes = report.get("minutes")
    if minutes:
        lines += ["## Minutes of 1,000 contributions", ""]
        if "error" in minutes:
            lines.append(f"failed: {minutes['error']}")
        else:
            lines.append(
                f"Markdown minutes (what closing does): {minutes['markdown_ms']} ms median, "
                f"{minutes['markdown_over_read_rows']}× reading the same rows with sqlite3 "
                f"({minutes['read_rows_ms']} ms); "
                f"JSON export {minutes['json_ms']} ms; published page HTML {minutes['page_html_ms']} ms."
            )
        lines.append("")
    return "\n".join(lines)


def plots(report: dict[str, Any], out: Path, name: str) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    cases = [case for case in report["cases"] if "join" in case]
    targets = list(dict.fromkeys(case["target"] for case in cases))
    written = []
    rates = report["options"]["rates"]
    figure, axes = plt.subplots(1, len(rates) + 1, figsize=(5 * (len(rates) + 1), 4), squeeze=False)
    for column, rate in enumerate(rates):
        axis = axes[0][column]
        for target in targets:
            points = [(c["phones"], _flow(c, rate).get("p99_ms")) for c in cases if c["target"] == target]
            points = [(x, y) for x, y in points if y is not None]
            if points:
                axis.plot(*zip(*points, strict=True), marker="o", label=LABELS[target])
        axis.set_title(f"send → screen p99, {rate}/s")
        axis.set_xlabel("phones")
        axis.set_ylabel("ms")
        axis.set_yscale("log")
        axis.grid(True, alpha=0.3)
    axis = axes[0][len(rates)]
    for target in targets:
        points = [(c["phones"], c.get("fanout", {}).get("median_last_ms")) for c in cases if c["target"] == target]
        points = [(x, y) for x, y in points if y is not None]
        if points:
            axis.plot(*zip(*points, strict=True), marker="o", label=LABELS[target])
    axis.set_title("step change → last phone (median)")
    axis.set_xlabel("phones")
    axis.set_ylabel("ms")
    axis.set_yscale("log")
    axis.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=7)
    figure.suptitle(f"kit benchmark {report['date']}, {report['cores']} cores")
    figure.tight_layout()
    path = out / f"{name}-latency.png"
    figure.savefig(path, dpi=90)
    plt.close(figure)
    written.append(path)

    figure, axis = plt.subplots(figsize=(5, 4))
    for target in targets:
        points = [(c["phones"], c.get("rss_per_phone_kb")) for c in cases if c["target"] == target]
        points = [(x, y) for x, y in points if y is not None]
        if points:
            axis.plot(*zip(*points, strict=True), marker="o", label=LABELS[target])
    axis.set_title("server memory per phone")
    axis.set_xlabel("phones")
    axis.set_ylabel("KB")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    path = out / f"{name}-memory.png"
    figure.savefig(path, dpi=90)
    plt.close(figure)
    written.append(path)
    return written


def write_report(report: dict[str, Any], out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = out / f"{name}.json"
    data.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    table = out / f"{name}.md"
    written = plots(report, out, name)
    text = markdown(report)
    if written:
        text += "\n" + "\n".join(f"![{path.stem}]({path.name})" for path in written) + "\n"
    table.write_text(text, encoding="utf-8")
    return [data, table, *written]
