"""The ``xl-mailer sandbox`` command passes its switches to the sandbox it serves."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests

from xl_mailer.click2mail.xmlanswers import parse
from xl_mailer.headless.args import build_parser

from ..conftest import LETTER
from .calls import AUTH


def test_the_sandbox_options_default_to_post_jobs_and_30_seconds() -> None:
    args = build_parser().parse_args(["sandbox"])
    assert (args.fault, args.fault_on, args.fault_every, args.seconds_per_state) == (
        None,
        "create",
        1,
        30.0,
    )


def test_a_negative_period_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--seconds-per-state", "-1"])


def test_the_served_sandbox_drops_submits_and_mails_at_once() -> None:
    command = [
        *(sys.executable, "-m", "xl_mailer.cli", "sandbox", "--port", "0"),
        *("--fault", "drop", "--fault-on", "submit", "--seconds-per-state", "0"),
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        try:
            assert server.stdout is not None
            url = server.stdout.readline().rsplit(" ", 1)[1].strip()
            made = requests.post(url + "/jobs", data=LETTER, auth=AUTH, timeout=5)
            job = parse(made.content).fields["id"]
            with pytest.raises(requests.ConnectionError):
                requests.post(
                    f"{url}/jobs/{job}/submit", data={"billingType": "ACH"}, auth=AUTH, timeout=5
                )
            status = parse(requests.get(f"{url}/jobs/{job}", auth=AUTH, timeout=5).content)
            assert status.fields["description"] == "MAILED"
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) == 0
        finally:
            if server.poll() is None:
                server.kill()
