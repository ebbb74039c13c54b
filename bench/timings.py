"""Time the two waits the tests no longer time: the sandbox's latency switch and a 429's shared
pause. Each figure is compared, within this one run, with what was asked for.

    python bench/timings.py [--latency 0.2] [--pause 0.3] [--calls 5] [--workers 4]

(1) The latency switch: ``--calls`` calls of ``GET /credit`` against a sandbox at latency 0
    and at latency L; the shortest call at L, divided by L, must be 1 or more (the switch
    delays every answer by at least L). The medians show what a call costs besides.
(2) A 429's pause: ``--workers`` threads wait on one ``SharedBackoff`` after a pause of P was
    pushed; the first of them to go on, divided by P, must be 1 or more (no worker goes early).

Prints one line per figure; exits 1 when a ratio is below 1. The tests check what these waits
do (every worker pauses, every answer of a slow sandbox is still read) on clocks they steer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Sequence

import requests

from xl_mailer.click2mail.client import SharedBackoff
from xl_mailer.sandbox import Sandbox, SandboxConfig


def credit_call_seconds(latency: float, calls: int) -> list[float]:
    """The wall time of each of ``calls`` ``GET /credit`` against a fresh sandbox at ``latency``."""
    with Sandbox(SandboxConfig(latency=latency)) as box, requests.Session() as session:
        auth = (box.config.username, box.config.password)
        session.get(box.url + "/credit", auth=auth, timeout=30).raise_for_status()  # warm up
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            session.get(box.url + "/credit", auth=auth, timeout=30).raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def first_release_seconds(pause: float, workers: int) -> float:
    """Seconds from a pushed pause until the first of ``workers`` waiting threads goes on."""
    backoff = SharedBackoff()
    released: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()
    backoff.push(pause)

    def worker() -> None:
        backoff.wait()
        with lock:
            released.append(time.monotonic() - started)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return min(released)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, metavar="L")
    parser.add_argument("--pause", type=float, default=0.3, metavar="P")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    if args.latency <= 0 or args.pause <= 0 or args.calls < 1 or args.workers < 1:
        parser.error("--latency and --pause must be above 0, --calls and --workers at least 1")

    fast = credit_call_seconds(0.0, args.calls)
    slow = credit_call_seconds(args.latency, args.calls)
    latency_ratio = min(slow) / args.latency
    print(
        f"latency switch: GET /credit, median {statistics.median(fast) * 1000:.1f} ms at L=0 and"
        f" {statistics.median(slow) * 1000:.1f} ms at L={args.latency:g} s; the shortest call at"
        f" L took {latency_ratio:.2f} x L"
    )
    first = first_release_seconds(args.pause, args.workers)
    pause_ratio = first / args.pause
    print(
        f"shared 429 pause: {args.workers} workers, pause {args.pause:g} s, the first went on"
        f" after {first:.3f} s: {pause_ratio:.2f} x the pause"
    )
    failed = [
        name for name, ratio in (("latency", latency_ratio), ("pause", pause_ratio)) if ratio < 1
    ]
    if failed:
        print(f"below 1: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
