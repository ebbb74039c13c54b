"""Fault switches on each call: what the client sees, and what the sandbox made anyway."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from xl_mailer.sandbox import CALLS, Sandbox, SandboxConfig

from .calls import AUTH, HOME, create_job, create_list, get, list_body, submit, upload


def _upload(box: Sandbox, job: str, timeout: float = 5) -> requests.Response:
    return upload(box, timeout=timeout)


def _address_list(box: Sandbox, job: str, timeout: float = 5) -> requests.Response:
    return create_list(box, list_body("april", [HOME]), timeout=timeout)


def _submit(box: Sandbox, job: str, timeout: float = 5) -> requests.Response:
    return submit(box, job, timeout=timeout)


def _proof(box: Sandbox, job: str, timeout: float = 5) -> requests.Response:
    return requests.post(f"{box.url}/jobs/{job}/proof", auth=AUTH, timeout=timeout)


def _made(call: str, box: Sandbox, job: str) -> int:
    """How many times the call took effect: the witness a client's resend would show in."""
    state = box.state
    return {
        "upload": state.uploads["flyer"],
        "address_list": state.address_lists["april"],
        "submit": int(state.jobs[int(job)].submitted_at is not None),
        "proof": len(state.proofs),
    }[call]


CALLERS: dict[str, Callable[[Sandbox, str, float], requests.Response]] = {
    "upload": _upload,
    "address_list": _address_list,
    "submit": _submit,
    "proof": _proof,
}


def faulty(call: str, fault: str) -> Sandbox:
    return Sandbox(SandboxConfig(fault=fault, fault_on=call, fault_seconds=1.0))


@pytest.mark.parametrize("call", CALLERS)
def test_drop_does_the_call_and_closes_without_an_answer(call: str) -> None:
    with faulty(call, "drop") as box:
        job = create_job(box)
        with pytest.raises(requests.ConnectionError):
            CALLERS[call](box, job, 5)
        assert _made(call, box, job) == 1


def test_a_resent_dropped_submit_is_counted_twice_and_refused() -> None:
    with faulty("submit", "drop") as box:
        job = create_job(box)
        with pytest.raises(requests.ConnectionError):
            submit(box, job)
        box.config.fault = None
        again = submit(box, job)
        assert again.status_code == 400 and b"impermissible state" in again.content
        assert box.state.submits[int(job)] == 2
        assert box.state.requests["submit"] == 2


@pytest.mark.parametrize("call", CALLERS)
def test_html500_and_throttle_make_nothing(call: str) -> None:
    with faulty(call, "html500") as box:
        job = create_job(box)
        page = CALLERS[call](box, job, 5)
        assert page.status_code == 500 and page.headers["Content-Type"] == "text/html"
        box.config.fault = "throttle"
        busy = CALLERS[call](box, job, 5)
        assert (busy.status_code, busy.headers["Retry-After"]) == (429, "1")
        assert _made(call, box, job) == 0


@pytest.mark.parametrize("fault", ["timeout", "gateway524", "malformed"])
@pytest.mark.parametrize("call", CALLERS)
def test_timeout_gateway524_and_malformed_do_the_call(call: str, fault: str) -> None:
    with faulty(call, fault) as box:
        job = create_job(box)
        if fault == "timeout":  # answered after fault_seconds: the client gave up first
            with pytest.raises(requests.Timeout):
                CALLERS[call](box, job, 0.3)
        elif fault == "gateway524":
            page = CALLERS[call](box, job, 5)
            assert page.status_code == 524 and page.headers["Content-Type"] == "text/html"
        else:
            cut = CALLERS[call](box, job, 5)
            assert cut.status_code in (200, 201) and b"<id>" in cut.content
            assert not cut.content.rstrip().endswith(b">")
        assert _made(call, box, job) == 1


def test_fault_every_counts_the_named_call_only() -> None:
    config = SandboxConfig(fault="html500", fault_on="upload", fault_every=2)
    with Sandbox(config) as box:
        create_job(box)
        create_job(box)  # POST /jobs is not counted towards the upload's fault
        assert [upload(box).status_code for _ in range(4)] == [201, 500, 201, 500]
        assert box.state.requests["upload"] == 4 and box.state.uploads["flyer"] == 2


def test_a_fault_on_a_read_call() -> None:
    with Sandbox(SandboxConfig(fault="throttle", fault_on="status")) as box:
        job = create_job(box)
        assert get(box, f"/jobs/{job}").status_code == 429
        assert get(box, f"/jobs/{job}/cost").status_code == 200


def test_the_password_fault_on_submit_revokes_the_password() -> None:
    with faulty("submit", "password") as box:
        job = create_job(box)
        assert submit(box, job).status_code == 401
        assert get(box, f"/jobs/{job}").status_code == 401


def test_post_jobs_stays_the_default_target() -> None:
    with Sandbox(SandboxConfig(fault="html500")) as box:
        assert box.config.fault_on == "create"
        response = requests.post(box.url + "/jobs", data={}, auth=AUTH, timeout=5)
        assert response.status_code == 500 and box.state.create_requests == 1


def test_an_unknown_call_or_number_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown call 'explode'"):
        SandboxConfig(fault="drop", fault_on="explode")
    with pytest.raises(ValueError, match="seconds_per_state"):
        SandboxConfig(seconds_per_state=-1)
    with pytest.raises(ValueError, match="address_list_polls"):
        SandboxConfig(address_list_polls=0)
    assert {"create", "upload", "address_list", "submit", "proof"} <= set(CALLS)
