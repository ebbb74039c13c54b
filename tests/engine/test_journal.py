"""The journal's write-ahead rule under batching: no row leaves before its send record is on
disk, rows journaled ahead but never sent are withdrawn, and every answer reaches the disk."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.rows import RowPlan
from xl_mailer.engine.journal import Journal
from xl_mailer.engine.runner import Feed, execute


def _requests(n: int) -> list[JobRequest]:
    return [JobRequest(r, (("documentId", "1"),), key=f"k{r}") for r in range(2, n + 2)]


class SendLog:
    """A RunJournal that remembers which rows were journaled, and in which batches; it keeps
    no other state, so what a test asserts is what the run asked of it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.journaled: set[str] = set()
        self.batches: list[int] = []

    def sending(self, requests: Sequence[JobRequest]) -> None:
        with self.lock:
            self.batches.append(len(requests))
            self.journaled.update(str(r.key) for r in requests)

    def result(self, request: JobRequest, result: JobResult) -> None:
        pass

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        pass

    def sync(self) -> None:
        pass


def test_no_row_leaves_before_its_send_record_is_written_and_records_go_many_at_once() -> None:
    journal = SendLog()
    early: list[str] = []

    def send(request: JobRequest) -> JobResult:
        with journal.lock:
            if request.key not in journal.journaled:
                early.append(str(request.key))
        return JobResult(Outcome.CREATED, "Created", request.row, 201, 0)

    plans = [RowPlan(r.row, request=r) for r in _requests(2000)]
    summary = execute(plans, send, record=lambda row, result: None, concurrency=4, journal=journal)
    assert summary.created == 2000
    assert early == []
    # answers came back at once, so send records went out many rows per fsync
    assert len(journal.batches) < 2000 / 4


def test_batches_grow_while_answers_come_at_once_and_shrink_to_one_on_a_slow_network() -> None:
    now = [0.0]
    journal = SendLog()
    feed = Feed(_requests(400), journal, first=4, ahead=0.05, most=64, clock=lambda: now[0])
    for _ in range(200):
        assert feed.take() is not None
        now[0] += 0.0001  # 0.1 ms a row: 50 ms holds 500 rows, so batches grow to the cap
    assert journal.batches[:5] == [4, 8, 16, 32, 64]
    for _ in range(200):
        assert feed.take() is not None
        now[0] += 0.1  # 100 ms a row: less than one row in 50 ms
    assert feed.take() is None
    assert journal.batches[-3:] == [1, 1, 1]
    assert sum(journal.batches) == 400


def test_a_cancelled_run_withdraws_the_rows_it_journaled_ahead(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    cancel = threading.Event()
    sent: list[str] = []
    lock = threading.Lock()

    def send(request: JobRequest) -> JobResult:
        with lock:
            sent.append(request.key)
            if len(sent) == 300:
                cancel.set()
        return JobResult(Outcome.CREATED, "Created", request.row, 201, 0)

    plans = [RowPlan(r.row, request=r) for r in _requests(3000)]
    summary = execute(
        plans, send, record=lambda row, result: None, concurrency=4, cancel=cancel, journal=journal
    )
    assert summary.stopped and summary.stopped.startswith("cancelled")
    entries = Journal(journal.path).entries()
    # each row that left has its job id; rows journaled ahead but never sent are not UNKNOWN
    assert sorted(e.key for e in entries) == sorted(sent)
    assert {e.result.outcome for e in entries} == {Outcome.CREATED}
    assert journal.unsynced == 0


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether ``condition`` comes true within ``seconds``. The journal's flusher announces
    nothing, so its work is looked for; the deadline fails a test instead of hanging it."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_an_answer_is_in_the_file_at_once_and_on_disk_soon_without_being_asked(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal")
    (request,) = _requests(1)
    journal.sending([request])
    assert journal.unsynced == 0
    journal.result(request, JobResult(Outcome.CREATED, "Created", 4711, 201, 0))
    # a killed process loses nothing the OS already has; another reader sees the id
    (entry,) = Journal(journal.path).entries()
    assert entry.result.job_id == 4711
    assert eventually(lambda: journal.unsynced == 0)  # the flusher's fsync, nobody asked
    later = JobRequest(3, (("documentId", "1"),), key="k3")
    journal.result(later, JobResult(Outcome.CREATED, "Created", 4712, 201, 0))
    journal.close()  # closing puts the rest on disk too
    assert journal.unsynced == 0


def test_answers_reach_the_disk_while_the_recording_thread_is_busy(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    seen: list[bool] = []

    def record(row: int, result: JobResult) -> None:
        if not seen:  # a checkpoint save, or Excel busy: nobody in the run calls sync
            seen.append(eventually(lambda: journal.unsynced == 0))

    def send(request: JobRequest) -> JobResult:
        return JobResult(Outcome.CREATED, "Created", request.row, 201, 0)

    plans = [RowPlan(r.row, request=r) for r in _requests(8)]
    execute(plans, send, record=record, concurrency=2, journal=journal)
    assert seen == [True]
    journal.close()


def test_compact_forgets_settled_keys_and_keeps_the_rest(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    first, second, third = _requests(3)
    journal.sending([first, second, third])
    journal.result(first, JobResult(Outcome.CREATED, "Created", 101, 201, 0))
    journal.result(second, JobResult(Outcome.CREATED, "Created", 102, 201, 0))
    assert journal.compact({"k2"}) == 2  # the send line and the result line of k2
    entries = {e.key: e.result for e in Journal(journal.path).entries()}
    assert entries.keys() == {"k3", "k4"}
    assert entries["k3"].job_id == 102
    assert entries["k4"].outcome is Outcome.UNKNOWN  # sent, no answer: kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal"]  # no temporary left
    journal.sending(_requests(4)[3:])  # appending after a compaction still works
    assert len(Journal(journal.path).entries()) == 3
    assert journal.compact({"k3", "k4", "k5"}) == 4
    assert not journal.path.exists()  # nothing left to keep


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    (request,) = _requests(1)
    Journal(path).sending([request])
    with path.open("ab") as handle:
        handle.write(b'{"e":"result","row":2,"key":"k2","outc')  # a crash mid-line
    later = JobRequest(9, (("documentId", "1"),), key="k9")
    Journal(path).sending([later])
    entries = {e.key: e.result for e in Journal(path).entries()}
    assert entries.keys() == {"k2", "k9"}
    assert entries["k2"].outcome is Outcome.UNKNOWN  # sent, and its answer was cut off
    with path.open("ab") as handle:
        handle.write("é".encode()[:1])  # a crash in the middle of a two-byte character
    assert {e.key for e in Journal(path).entries()} == {"k2", "k9"}


def test_settled_keys_are_those_the_saved_sheet_holds_or_that_made_no_job() -> None:
    from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
    from xl_mailer.core.sheet import find_layout
    from xl_mailer.engine.journal import Entry
    from xl_mailer.engine.workbooks import settled_keys

    header = [*REQUIRED_PARAMS, *OUTPUT_HEADERS]
    blank = [None] * len(REQUIRED_PARAMS)
    saved: list[list[object]] = [
        header,
        [*blank, 101, 201, 0, "Created", "k-saved"],
        [*blank, 102.0, 201, 0, "Created", "k-float"],  # Excel may keep a whole number as float
        [*blank, None, None, None, "UNKNOWN: no answer", "k-marked"],
        [*blank, None, None, None, "", "k-blank"],
    ]
    layout = find_layout(saved, sheet="Jobs")

    def entry(key: str, outcome: Outcome, job: int | None = None) -> Entry:
        return Entry(key, 2, "digest", JobResult(outcome, "", job))

    entries = [
        entry("k-saved", Outcome.CREATED, 101),
        entry("k-float", Outcome.CREATED, 102),
        entry("k-other-row", Outcome.CREATED, 101),  # the id is in the file, whatever the row
        entry("k-missing", Outcome.CREATED, 999),  # the file never got it: keep
        entry("k-refused", Outcome.FAILED),  # made no job
        entry("k-marked", Outcome.UNKNOWN),  # the file shows it UNKNOWN: never re-sent
        entry("k-blank", Outcome.UNKNOWN),  # the file does not show it: keep
        entry("k-absent", Outcome.UNKNOWN),
    ]
    assert settled_keys(entries, saved, layout) == {
        "k-saved",
        "k-float",
        "k-other-row",
        "k-refused",
        "k-marked",
    }


def test_a_failed_fsync_of_the_flusher_stops_the_run_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    real = os.fsync
    calls: list[int] = []
    flusher_failed = threading.Event()

    def fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 2:  # the flusher's: Linux reports a writeback error to one fsync only
            flusher_failed.set()
            raise OSError(5, "Input/output error")
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    journal = Journal(tmp_path / "journal")

    def record(row: int, result: JobResult) -> None:
        assert flusher_failed.wait(5)  # the flusher runs while the row is recorded

    plans = [RowPlan(r.row, request=r) for r in _requests(1)]
    summary = execute(
        plans,
        lambda request: JobResult(Outcome.CREATED, "Created", 7, 201, 0),
        record=record,
        concurrency=1,
        journal=journal,
    )
    assert summary.crashed and summary.stopped
    assert "Input/output error" in summary.stopped
    journal.close()


def test_compact_forgets_rows_that_were_withdrawn(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    sent, ahead = _requests(2)
    journal.sending([sent, ahead])
    journal.result(sent, JobResult(Outcome.CREATED, "Created", 5, 201, 0))
    journal.withdrawn([ahead])
    assert journal.compact(set()) == 2  # the send and withdrawn lines of the row never sent
    assert [e.key for e in Journal(journal.path).entries()] == ["k2"]


def test_sent_is_what_entries_finds_in_a_few_values_per_key(tmp_path: Path) -> None:
    from xl_mailer.engine.journal import Sent

    journal = Journal(tmp_path / "journal")
    first, second, third, fourth = _requests(4)
    journal.sending([first, second, third, fourth])
    journal.result(first, JobResult(Outcome.CREATED, "Created", 101, 201, 0))
    journal.result(second, JobResult(Outcome.FAILED, "Refused", None, 400, 3))
    journal.withdrawn([third])
    journal.sending([third])  # sent again after all: at the end, as entries has it
    journal.close()
    entries = journal.entries()
    assert list(journal.sent().items()) == [(e.key, Sent.of(e)) for e in entries]
    assert journal.sent() == {
        "k2": Sent(2, entries[0].digest, 101, False),
        "k3": Sent(3, entries[1].digest, None, False),
        "k5": Sent(5, entries[2].digest, None, True),  # sent, no answer: UNKNOWN
        "k4": Sent(4, entries[3].digest, None, True),
    }


def test_compact_with_nothing_to_forget_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    first, second = _requests(2)
    journal.sending([first, second])
    journal.result(first, JobResult(Outcome.CREATED, "Created", 101, 201, 0))
    journal.close()
    before = journal.path.read_bytes()
    assert journal.compact(set(), held_in=tmp_path / "book.xlsx") == 0
    assert journal.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal"]  # no temporary made


def test_a_compaction_that_fails_keeps_the_journal_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    journal = Journal(tmp_path / "journal")
    first, second, third = _requests(3)
    journal.sending([first, second, third])
    journal.result(second, JobResult(Outcome.CREATED, "Created", 102, 201, 0))
    journal.close()
    before = journal.path.read_bytes()

    def fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError):
        journal.compact({"k3"}, held_in=tmp_path / "book.xlsx")
    assert journal.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal"]  # its temporary is gone


def test_compact_keeps_the_lines_before_the_first_it_drops_byte_for_byte(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    first, second, third = _requests(3)
    journal.sending([first])
    journal.result(first, JobResult(Outcome.CREATED, "Created", 101, 201, 0))
    journal.close()
    kept = journal.path.read_bytes()
    journal.sending([second, third])
    journal.result(second, JobResult(Outcome.CREATED, "Created", 102, 201, 0))
    journal.close()
    with journal.path.open("ab") as handle:
        handle.write(b'{"e":"result","row":4,"key":"k4","outc')  # torn, and last
    assert journal.compact({"k3"}, held_in=tmp_path / "book.xlsx") == 3  # k3's two, the torn
    lines = journal.path.read_bytes().splitlines(keepends=True)
    assert b"".join(lines[:2]) == kept
    assert [e.key for e in Journal(journal.path).entries()] == ["k2", "k4"]
    assert b'"e":"settled","key":"k3"' in lines[-1] and lines[-1].endswith(b"\n")


def test_forget_settled_reads_each_copy_once_from_an_iterator(tmp_path: Path) -> None:
    from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
    from xl_mailer.engine.workbooks import forget_settled

    journal = Journal(tmp_path / "journal")
    first, second = _requests(2)
    journal.sending([first, second])
    journal.result(first, JobResult(Outcome.CREATED, "Created", 101, 201, 0))
    journal.result(second, JobResult(Outcome.CREATED, "Created", 102, 201, 0))
    journal.close()
    blank = [None] * len(REQUIRED_PARAMS)
    saved: list[list[object]] = [
        [*REQUIRED_PARAMS, *OUTPUT_HEADERS],
        [*blank, 101, 201, 0, "Created", "k2"],
        [*blank, None, None, None, "", "k3"],  # the file never got 102: k3 stays
    ]
    read: list[int] = []

    def copies() -> Iterator[list[list[object]]]:
        read.append(1)
        yield saved

    held = tmp_path / "book.xlsx"
    assert forget_settled(journal, "Jobs", copies(), held_in=held) == 2
    assert read == [1]
    assert [e.key for e in journal.entries()] == ["k3"]
    assert [(s.key, s.job_id, s.path) for s in journal.settled_records()] == [
        ("k2", 101, str(held))
    ]
