"""A small run of the benchmark harness (benchmarks/): 50 phones against a real `kit serve`.

Correctness only — every acknowledged contribution is stored and reaches the screen exactly
once, every acknowledged vote is counted once on the screen and in the store, every phone joins
and gets the step change. Timings are printed by the harness, never asserted here. Needs neither
Node nor gevent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import Options, run_case

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e


def test_fifty_phones_lose_and_double_nothing(tmp_path):
    options = Options(
        phones=[50],
        rates=[40],
        vote_rates=[40],
        duration=3,
        join_window=1,
        workers=2,
        fanouts=1,
        minutes=False,
        measure_usage=False,
    )
    case = run_case("kit-eventlet", 50, options, tmp_path)
    assert "error" not in case, case
    assert case["join"]["ok"] == 50, case["join"]
    (flow,) = case["flows"]
    assert flow["sent"] == 120
    assert flow["acked"] == flow["sent"], flow["refused"]
    assert flow["lost"] == 0 and flow["shown_twice"] == 0 and flow["shown_unacked"] == 0, flow
    assert flow["stored"] == flow["acked"] and flow["stored_twice"] == 0, flow
    assert flow["consistent"]
    (votes,) = case["votes"]
    assert votes["sent"] == 120 and votes["not_sent"] == 0, votes
    assert votes["acked"] == votes["counted"] == votes["sent"], votes["refused"]
    assert votes["unchanged"] == 0 and votes["lost"] == 0 and votes["extra"] == 0, votes
    assert votes["shown"] == votes["stored"] == votes["counted"], votes
    assert votes["stored_missing"] == 0 and votes["stored_extra"] == 0, votes
    assert votes["consistent"]
    assert case["fanout"]["received_min"] == 50, case["fanout"]


def test_the_stacks_floor_is_held_to_the_same_checks(tmp_path):
    """The reference that separates kit's own code from its stack (benchmarks/reference_flask.py)
    is only a floor if it does the work: every contribution acked, stored and shown once, every
    vote counted once."""
    options = Options(
        phones=[20],
        rates=[40],
        vote_rates=[20],
        duration=2,
        join_window=1,
        workers=1,
        fanouts=1,
        minutes=False,
        measure_usage=False,
    )
    case = run_case("stack", 20, options, tmp_path)
    assert "error" not in case, case
    assert case["join"]["ok"] == 20, case["join"]
    (flow,) = case["flows"]
    assert flow["acked"] == flow["sent"] == 80 and flow["consistent"], flow
    (votes,) = case["votes"]
    assert votes["acked"] == votes["counted"] == votes["sent"] == 40 and votes["consistent"], votes
    assert case["fanout"]["received_min"] == 20, case["fanout"]


def test_the_handlers_measure_runs_and_counts_the_garbage():
    """benchmarks/handlers.py, the in-process measure of kit's handlers that also lists what they
    leave the garbage collector, still runs against kit as it is, and finds nothing left."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.handlers", "--phones", "10", "--contributions", "20", "--repeat", "1"]
        + ["--garbage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "contribute" in done.stdout and "vote" in done.stdout, done.stdout
    assert "Left in cycles for the garbage collector: 0.0 objects per event" in done.stdout, done.stdout


def test_the_instruction_count_sends_its_contributions():
    """benchmarks/instructions.py counts a process that sets up a room and sends contributions
    through the live layer; that process still runs against kit as it is (valgrind not needed)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.instructions", "--send", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
