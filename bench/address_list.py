"""The address list target of issue 12: 10,000 recipients built and sent with at most 1 s of
xl-mailer's own CPU and at most 50 MB of extra memory.

    python bench/address_list.py [--recipients N] [--repeat R]

Measures (1) building the ``POST /addressLists`` XML alone and (2) the whole call through the
client (``Mailing.create_address_list``) to a transport that reads the body and answers 201 at
once, so that no network time is counted. CPU is ``time.process_time`` (the median of R runs,
without tracing); memory is the peak that ``tracemalloc`` sees above what was held before, in a
separate run (tracing slows the code down), and the process's peak resident size.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if (REPO / "xl_mailer").is_dir() and str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from requests.structures import CaseInsensitiveDict  # noqa: E402

from xl_mailer.click2mail.client import Click2MailClient  # noqa: E402
from xl_mailer.click2mail.mailing import Mailing  # noqa: E402
from xl_mailer.click2mail.xmlbodies import address_list_xml  # noqa: E402
from xl_mailer.core.calls import CallOutcome  # noqa: E402

CREATED = (
    b"<addressList><id>31</id><status>0</status><description>Uploaded</description></addressList>"
)


def recipients(count: int) -> list[dict[str, str]]:
    """Addresses as a sheet gives them, some with characters that must be escaped."""
    return [
        {
            "Firstname": f"Zoë {n}",
            "Lastname": "O'Brien & Sons" if n % 7 == 0 else f"Smith{n}",
            "Organization": '<Acme> "Widgets"' if n % 11 == 0 else "",
            "Address1": f"{n} Main Street",
            "Address2": f"Apt {n % 40}" if n % 3 else "",
            "Address3": "",
            "City": "Boston",
            "State": "MA",
            "Postalcode": f"{2100 + n % 100:05d}",
            "Country": "",
        }
        for n in range(count)
    ]


class ReadingTransport:
    """Reads each request's body as a socket would and answers 201 at once."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def request(self, method: str, url: str, **options: Any) -> requests.Response:
        prepared = requests.Request(
            method,
            url,
            data=options["data"],
            headers=dict(options["headers"]),
            auth=options["auth"],
        ).prepare()
        body = prepared.body
        self.bytes_read += len(body) if isinstance(body, bytes | str) else 0
        response = requests.Response()
        response.status_code = 201
        response.headers = CaseInsensitiveDict({"Content-Type": "application/xml"})
        response.raw = io.BytesIO(CREATED)
        return response

    def close(self) -> None:
        pass


def build(addresses: list[dict[str, str]]) -> None:
    address_list_xml("bench", addresses)


def send(addresses: list[dict[str, str]]) -> None:
    client = Click2MailClient("https://c2m.example/molpro", "u", "p", transport=ReadingTransport())
    result = Mailing(client).create_address_list("bench", addresses)
    assert result.outcome is CallOutcome.CREATED, result


Step = Callable[[list[dict[str, str]]], None]


def cpu_seconds(step: Step, data: list[dict[str, str]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        step(data)
        times.append(time.process_time() - start)
    return statistics.median(times)


def peak_mb(step: Step, data: list[dict[str, str]]) -> float:
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        step(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - before) / 1_048_576


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    data = recipients(args.recipients)
    body, _ = address_list_xml("bench", data)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows: list[tuple[str, float, float]] = []
    steps: Mapping[str, Step] = {
        "build the XML": build,
        "build and send (client, no network)": send,
    }
    for label, step in steps.items():
        rows.append((label, cpu_seconds(step, data, args.repeat), peak_mb(step, data)))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{args.recipients:,} recipients, body {len(body) / 1_048_576:.1f} MB")
    print(f"{'step':40} {'CPU s':>8} {'peak MB':>9}")
    for label, cpu, peak in rows:
        print(f"{label:40} {cpu:8.3f} {peak:9.1f}")
    growth = (rss_after - rss_before) / 1024  # ru_maxrss is in KiB on Linux
    print(f"peak resident size grew by {growth:.1f} MB over the runs")
    worst_cpu = max(cpu for _, cpu, _ in rows)
    worst_mb = max(peak for _, _, peak in rows)
    met = worst_cpu <= 1.0 and worst_mb <= 50.0
    print(f"target (<= 1 s CPU, <= 50 MB): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
