"""Time the minutes of a meeting with 1,000 contributions (run by benchmarks.run in its own process).

Prints one JSON line: the median of building the Markdown minutes (what closing a meeting does),
of the JSON export and of the published page's HTML, and, as the reference measured in the same
run, the median of reading the same rows with the standard library's sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.servers import TEMPLATE

CONTRIBUTIONS = 1000
PEOPLE = 100
REPEATS = 7


def median_seconds(work: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    from kit import create_app
    from kit.core.db import get_session
    from kit.core.markdown_text import to_safe_html
    from kit.meeting import lifecycle
    from kit.meeting.templates import load_template
    from kit.publishing import minutes

    app = create_app({"ASYNC_MODE": "threading", "PUBLIC_URL": "http://127.0.0.1"})
    with app.test_request_context():
        db = get_session()
        meeting = lifecycle.create_meeting(db, load_template(TEMPLATE), title="Minutes benchmark")
        lifecycle.start(db, meeting)
        people = [lifecycle.join(db, meeting, f"Personne {n}", "Structure", "Territoire") for n in range(PEOPLE)]
        lifecycle.move(db, meeting, +1)
        step_id = meeting.current_step_id
        for n in range(CONTRIBUTIONS):
            text = f"Contribution {n}: un besoin, une idée, une question sur l'inclusion numérique **{n}**"
            lifecycle.contribute(db, meeting, people[n % PEOPLE], step_id, f"m{n}", {"text": text})
        markdown = minutes.build_markdown(db, meeting)
        build = median_seconds(lambda: minutes.build_markdown(db, meeting))
        export = median_seconds(lambda: minutes.as_data(db, meeting))
        page = median_seconds(lambda: to_safe_html(markdown))
        path = app.config["DATABASE_URL"].removeprefix("sqlite:///")

    def read_rows() -> None:
        with sqlite3.connect(path) as connection:
            connection.execute(
                "SELECT c.id, c.data, p.display_name FROM contribution c JOIN participant p"
                " ON p.id = c.participant_id ORDER BY c.id"
            ).fetchall()

    reference = median_seconds(read_rows)
    print(
        json.dumps(
            {
                "contributions": CONTRIBUTIONS,
                "markdown_ms": round(build * 1000, 1),
                "json_ms": round(export * 1000, 1),
                "page_html_ms": round(page * 1000, 1),
                "read_rows_ms": round(reference * 1000, 2),
                "markdown_over_read_rows": round(build / reference, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
