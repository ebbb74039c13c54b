"""Which row a job belongs to, when the journal and the sheet disagree; and sending a row
again on purpose.

After a crash and an edit, the journal may hold jobs (or requests that may have
made one) that no row claims any more. A run then stops before sending; here a
person lists them and decides, for each: it is row N's (attach: its id goes
into the row), or it is not this workbook's to track (release: recorded in the
journal, never silently forgotten). Nothing here sends anything.

``decide`` is the use case: the CLI takes the decisions from its options, the
ribbon from the Decision column of its Unclaimed Jobs sheet (``sheet_decisions``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xl_mailer.app.archive import history_claims
from xl_mailer.app.ports import SheetPort, write_results
from xl_mailer.app.recovery import Recovery, recover
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import DecisionError as DecisionError
from xl_mailer.core.models import KEY_HEADER, JobResult, Outcome
from xl_mailer.core.outcomes import UNKNOWN_PREFIX
from xl_mailer.core.rows import RowState, row_state
from xl_mailer.core.sheet import Layout, find_layout
from xl_mailer.engine.journal import WHAT, Entry, Journal


def unclaimed(port: SheetPort, journal: Journal) -> list[Entry]:
    """The jobs a person must decide about: the journal's entries that may have made a job
    and that no row of the sheet claims, then saved jobs that hold back a row with the
    same values (``jobs.recover``)."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    found = recover_for(port, values, layout, journal)
    return found.unclaimed + found.holding


def recover_for(
    port: SheetPort, values: list[list[object]], layout: Layout, journal: Journal
) -> Recovery:
    """``recover`` as a run of this sheet would: with its History."""
    return recover(values, layout, journal, history_claims(port.archived()))


def _find(entries: Sequence[Entry], what: str) -> Entry:
    """The entry named by a job id or a request key."""
    for entry in entries:
        if what == entry.key or (what.isdigit() and entry.result.job_id == int(what)):
            return entry
    known = ", ".join(_name(e) for e in entries) or "none"
    raise DecisionError(f"{what} is not an unclaimed job of this workbook (unclaimed: {known})")


def _text(value: object) -> str | None:
    """A cell as a send record keeps it: a whole number as its digits."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _name(entry: Entry) -> str:
    return str(entry.result.job_id) if entry.result.job_id is not None else entry.key


@dataclass(frozen=True)
class Attached:
    row: int
    entry: Entry


def attach(
    port: SheetPort, journal: Journal, decisions: Sequence[tuple[str, int]]
) -> list[Attached]:
    """Give each named job (id or request key) to a row: the row's Job ID (or, for a request
    whose answer was lost, its UNKNOWN state and key) is written, so no run sends it again.
    Raises DecisionError, writing nothing, when a row already has a job or is not a data row.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    found = recover_for(port, values, layout, journal)
    entries = found.unclaimed + found.holding
    job_col = layout.results["Job ID"]
    done: list[Attached] = []
    rows_taken: set[int] = set()
    for what, row in decisions:
        entry = _find(entries, what)
        if row <= layout.first_data_row or row > len(values):
            raise DecisionError(f"row {row} is not a row of the table on {port.name}")
        line = values[row - 1] + [None] * (max(layout.results.values()) + 1)
        if not is_blank(line[job_col]) or row in rows_taken:
            raise DecisionError(f"row {row} has a Job ID already; a row has one job")
        key = line[layout.results[KEY_HEADER]]
        if row_state(line, layout) is RowState.UNKNOWN:
            raise DecisionError(
                f"row {row} awaits reconciliation of its own request; reconcile it first"
            )
        if not is_blank(key) and str(key) != entry.key:
            raise DecisionError(
                f"row {row} was sent with another request key ({key}); a row has one job"
            )
        now = tuple(_text(line[layout.params[n]]) if n in layout.params else None for n in WHAT)
        if entry.ids and any(
            a is not None and a != b for a, b in zip(entry.ids, now, strict=False)
        ):
            sent = ", ".join(f"{n} {v}" for n, v in zip(WHAT, entry.ids, strict=False))
            shown = ", ".join(f"{n} {v}" for n, v in zip(WHAT, now, strict=False))
            raise DecisionError(
                f"row {row} shows {shown}, but {_name(entry)} was sent with {sent}: it is another"
                " mailing. Attach it to the row of that mailing (rows may have moved), or, if"
                " this row was changed on purpose, release it"
            )
        rows_taken.add(row)
        done.append(Attached(row, entry))
    # the row now carries the request key: the journal matches the entry there from now on
    write_results(port, layout, [(a.row, _attached(a.entry)) for a in done])
    return done


def _attached(entry: Entry) -> JobResult:
    result = entry.result
    if result.job_id is None:
        text = (
            f"{UNKNOWN_PREFIX} attached by hand: a request whose answer was lost (request key"
            f" {entry.key}). The job may exist at Click2Mail: run Reconcile before sending this"
            " row again."
        )
        return JobResult(
            Outcome.UNKNOWN, text, None, result.http_status, result.code, entry.key, result.sent_at
        )
    return JobResult(
        Outcome.CREATED,
        f"Attached: job {result.job_id} given to this row by hand (request key {entry.key})",
        result.job_id,
        result.http_status,
        result.code,
        entry.key,
        result.sent_at,
    )


def release(
    journal: Journal, entries: Sequence[Entry], what: Sequence[str], why: str
) -> list[Entry]:
    """Record that the named jobs are not this workbook's to track. They stay in the
    journal (listed by ``releases``) and never stop a run again."""
    chosen = [_find(entries, w) for w in what]
    for entry in chosen:
        journal.release(entry, why)
    return chosen


@dataclass(frozen=True)
class Decided:
    """What ``decide`` did, and the jobs still waiting for a person's decision."""

    attached: list[Attached]
    released: list[Entry]
    left: list[Entry]


def decide(
    port: SheetPort,
    journal: Journal,
    *,
    attach_to: Sequence[tuple[str, int]] = (),
    release_names: Sequence[str] = (),
    why: str = "released by hand: not from this workbook",
    after_attach: Callable[[], object] | None = None,
) -> Decided:
    """Attach each named job to its row (then ``after_attach``: the holder saves), release
    the others, and list what no row claims still. Raises DecisionError, with nothing of
    that step done, when a decision cannot be carried out."""
    entries = unclaimed(port, journal)
    attached = attach(port, journal, attach_to) if attach_to else []
    if attached and after_attach is not None:
        after_attach()
    given = {a.entry.key for a in attached}
    entries = [e for e in entries if e.key not in given]
    released = release(journal, entries, release_names, why) if release_names else []
    gone = {e.key for e in released}
    # not read again: a sheet in Excel's remote engine shows writes only after the call
    return Decided(attached, released, [e for e in entries if e.key not in gone])


def parse_decision(text: str) -> tuple[str, int]:
    """``JOB=ROW`` (a job id or a request key, then a row number). Raises DecisionError."""
    what, _, row = text.partition("=")
    if not row.strip().isdigit() or not what.strip():
        raise DecisionError(f"--attach takes JOB=ROW (e.g. 245985=12), not {text!r}")
    return what.strip(), int(row)


def table_decisions(
    lines: Sequence[Sequence[object]], *, key: int, decision: int
) -> tuple[list[tuple[str, int]], list[str]]:
    """The decisions typed in a table of unclaimed jobs (a request key in column ``key``,
    a row number or ``release`` in column ``decision``): what to attach, what to release.
    Lines without a key or a decision are left alone."""
    attach_to: list[tuple[str, int]] = []
    release_names: list[str] = []
    for line in lines:
        if len(line) <= max(key, decision) or line[key] in (None, ""):
            continue
        name, typed = str(line[key]), line[decision]
        if isinstance(typed, int | float) and not isinstance(typed, bool):
            attach_to.append((name, int(typed)))
        elif isinstance(typed, str) and typed.strip().isdigit():
            attach_to.append((name, int(typed.strip())))
        elif isinstance(typed, str) and typed.strip().lower() in ("release", "released"):
            release_names.append(name)
    return attach_to, release_names


def sent_with(entry: Entry) -> str:
    """The mailing a job is, as its send record keeps it (documentId and addressId)."""
    return ", ".join(f"{n} {v}" for n, v in zip(WHAT, entry.ids, strict=False) if v)


def describe_entry(entry: Entry) -> str:
    """One line naming a journal entry: its job, key, row, mailing and send time."""
    job = f"job {entry.result.job_id}" if entry.result.job_id is not None else "a lost answer"
    sent = entry.result.sent_at or entry.sent_from
    when = f", sent {sent:%Y-%m-%d %H:%M} UTC" if sent else ""
    what = sent_with(entry)
    with_ = f" with {what}" if what else ""
    return f"{job} (request key {entry.key}, sent from row {entry.row}{with_}{when})"
