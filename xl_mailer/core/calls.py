"""What came of one call of a whole mailing that may change something at Click2Mail (an
upload, an address list, a proof, a submit), decided from the answer's parsed facts alone.

The rule is the create's (``core.outcomes``): a clean answer is believed, a clean refusal
made nothing, and anything else after the request may have left could have made (or
submitted) something, so it is UNKNOWN and never sent again blindly.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass


class CallOutcome(enum.Enum):
    """What one call did at Click2Mail."""

    CREATED = "created"  # a document, address list or proof was made; its id is known
    SUBMITTED = "submitted"  # the job is submitted (by this call, or one before it)
    FAILED = "failed"  # refused, or never sent: nothing was made or changed
    UNKNOWN = "unknown"  # may have reached Click2Mail without a clean answer: never re-sent


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call's outcome and the cells a sheet shows for it."""

    outcome: CallOutcome
    description: str
    http_status: int | None = None
    code: int | None = None
    id: int | None = None  # what was made: a document, an address list, a proof


@dataclass(frozen=True, slots=True)
class Made:
    """What a clean answer to one creating call looks like.

    ``root`` is the answer's root element (None: any); ``http`` the statuses of success;
    ``codes`` the ``<status>`` values that mean it was made (None in it: a missing status).
    """

    thing: str  # "document", "address list", "proof": for messages
    root: str | None
    http: Collection[int]
    codes: Collection[int | None]


UNKNOWN_PREFIX = "UNKNOWN:"


SUBMIT = "submit"
"""The ``thing`` of a submit: its UNKNOWN says to look at the job's state, not for a copy."""


def unknown_call(
    what: str,
    thing: str,
    *,
    http_status: int | None = None,
    code: int | None = None,
    made_id: int | None = None,
) -> CallResult:
    """A call that may have reached Click2Mail without a clean answer."""
    if thing == SUBMIT:
        then = (
            "The job may have been submitted: its state (Refresh Job Status) says whether it"
            " left Editing; do not submit it again before that"
        )
    else:
        then = f"The {thing} may exist at Click2Mail: look there before sending this again"
    return CallResult(
        CallOutcome.UNKNOWN, f"{UNKNOWN_PREFIX} {what}. {then}.", http_status, code, made_id
    )


def made_outcome(
    made: Made,
    http_status: int,
    *,
    root: str | None,
    code: int | None,
    description: str,
    made_id: int | None,
    not_a_document: str = "",
) -> CallResult:
    """The outcome of an answer to a call that makes something (``made`` says what a clean
    one looks like). ``root`` is None when the body was no XML document, and
    ``not_a_document`` then says what came instead."""
    ours = made.root is None or root == made.root
    if root is not None and ours and http_status in made.http and code in made.codes:
        if made_id is not None:
            return CallResult(
                CallOutcome.CREATED, description or "Created", http_status, code, made_id
            )
        return unknown_call(
            f"Click2Mail said {description or 'it was made'} but sent no id",
            made.thing,
            http_status=http_status,
            code=code,
        )
    if made_id is not None and http_status < 400 and ours and code is not None:
        # a clean answer naming what it made, in a state that is not success (a list in
        # error): known, but not usable
        return CallResult(
            CallOutcome.FAILED,
            f"{made.thing.capitalize()} {made_id} was made but Click2Mail says"
            f" {description or f'status {code}'}",
            http_status,
            code,
            made_id,
        )
    if made_id is not None:
        return unknown_call(
            f"HTTP {http_status} with status {code} ({description or 'no text'}) names"
            f" {made.thing} {made_id}",
            made.thing,
            http_status=http_status,
            code=code,
            made_id=made_id,
        )
    if root is not None and ours and code not in (None, 0) and http_status < 500:
        # an answer of the call's own kind that names its error: a clean refusal
        return CallResult(
            CallOutcome.FAILED, description or f"Refused with status {code}", http_status, code
        )
    return _not_clean(made.thing, http_status, root, code, description, not_a_document)


def submit_outcome(
    http_status: int,
    *,
    root: str | None,
    code: int | None,
    description: str,
    not_a_document: str = "",
) -> CallResult:
    """The outcome of a ``POST /jobs/{id}/submit`` answer (API.md section 3): 200 / 0 is
    submitted; 200 / 1 (job not found) and 200 / 2 (payment not authorized), like any other
    ``<job>`` answer naming its error, refused; 400 / 9 "impermissible state" means it was
    submitted before: SUBMITTED, but not by this call (``submitted_before``); the rest may
    have submitted it."""
    is_job = root == "job"
    if is_job and http_status in (200, 201) and code == 0:
        return CallResult(CallOutcome.SUBMITTED, description or "Success", http_status, code)
    if is_job and already_submitted(http_status, code, description):
        return CallResult(
            CallOutcome.SUBMITTED,
            f"Already submitted (Click2Mail: {description})",
            http_status,
            code,
        )
    if is_job and code not in (None, 0) and http_status < 500:
        return CallResult(
            CallOutcome.FAILED, description or f"Refused with status {code}", http_status, code
        )
    return _not_clean(SUBMIT, http_status, root, code, description, not_a_document)


def submitted_before(result: CallResult) -> bool:
    """A submit's SUBMITTED that says the job had left Editing before it (400 / 9
    "impermissible state"): the job is submitted, but this call did not submit it or pay."""
    return (
        result.outcome is CallOutcome.SUBMITTED and result.http_status == 400 and result.code == 9
    )


def already_submitted(http_status: int, code: int | None, description: str) -> bool:
    """400 / 9 "Job with Id N is in impermissible state": Click2Mail's answer to a submit of
    a job that left Editing, read as submitted (API.md section 3 [C]; the words are matched,
    since 400 / 9 also names other refusals)."""
    return http_status == 400 and code == 9 and "impermissible state" in description.lower()


def _not_clean(
    thing: str,
    http_status: int,
    root: str | None,
    code: int | None,
    description: str,
    not_a_document: str,
) -> CallResult:
    """An answer that is neither success nor a refusal of the call's own kind: a 4xx made
    nothing; anything else may have."""
    what = not_a_document or (f"a <{root}> document" if root else "")
    if http_status == 429:
        text = "Refused: Click2Mail kept answering 429 Too Many Requests; try again later"
        return CallResult(CallOutcome.FAILED, text, http_status, code)
    if 400 <= http_status < 500 and http_status != 408:
        text = description or f"HTTP {http_status}" + (f": Click2Mail sent {what}" if what else "")
        return CallResult(CallOutcome.FAILED, text, http_status, code)
    if http_status == 524:
        what = "Click2Mail's gateway timed out (HTTP 524) before answering"
        return unknown_call(what, thing, http_status=http_status, code=code)
    return unknown_call(
        f"HTTP {http_status} with {what or 'no usable answer'}",
        thing,
        http_status=http_status,
        code=code,
    )


def lost_call(thing: str, *, never_left: bool, words: str) -> CallResult:
    """A call that got no answer: FAILED when it provably never left, else UNKNOWN."""
    if never_left:
        return CallResult(CallOutcome.FAILED, f"Not sent: {words}")
    return unknown_call(words, thing)
