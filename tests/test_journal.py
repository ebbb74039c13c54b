"""The journal's write-ahead rule under batching: no row leaves before its send record is on
disk, rows journaled ahead but never sent are withdrawn, and every answer reaches the disk."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from xl_mailer.journal import Journal
from xl_mailer.models import JobRequest, JobResult, Outcome
from xl_mailer.rows import RowPlan
from xl_mailer.runner import Feed, execute


def _requests(n: int) -> list[JobRequest]:
    return [JobRequest(r, (("documentId", "1"),), key=f"k{r}") for r in range(2, n + 2)]


class EventJournal:
    """A RunJournal that remembers, in order, what was made durable and when rows left."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.durable: set[str] = set()
        self.withdrawn_keys: set[str] = set()
        self.results: dict[str, JobResult] = {}
        self.unsynced: set[str] = set()
        self.batches: list[int] = []

    def sending(self, requests: Sequence[JobRequest]) -> None:
        with self.lock:
            self.batches.append(len(requests))
            self.durable.update(r.key for r in requests)
            self.unsynced.clear()  # one fsync carries every line written before it

    def result(self, request: JobRequest, result: JobResult) -> None:
        with self.lock:
            self.results[request.key] = result
            self.unsynced.add(request.key)

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        with self.lock:
            self.withdrawn_keys.update(r.key for r in requests)
            self.unsynced.clear()

    def sync(self, *, older_than: float = 0.0) -> None:
        with self.lock:
            self.unsynced.clear()


def test_no_row_leaves_before_its_send_record_is_on_disk_and_every_answer_gets_there() -> None:
    journal = EventJournal()
    early: list[str] = []

    def send(request: JobRequest) -> JobResult:
        with journal.lock:
            if request.key not in journal.durable:
                early.append(request.key)
        return JobResult(Outcome.CREATED, "Created", request.row, 201, 0)

    requests = _requests(2000)
    plans = [RowPlan(r.row, request=r) for r in requests]
    summary = execute(plans, send, record=lambda row, result: None, concurrency=4, journal=journal)
    assert summary.created == 2000
    assert early == []
    assert set(journal.results) == {r.key for r in requests}
    assert journal.unsynced == set()
    assert journal.withdrawn_keys == set()
    # answers came back at once, so send records went out many rows per fsync
    assert len(journal.batches) < 2000 / 4


def test_batches_grow_while_answers_come_at_once_and_shrink_to_one_on_a_slow_network() -> None:
    now = [0.0]
    journal = EventJournal()
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


def test_an_answer_is_in_the_file_at_once_and_on_disk_after_sync(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    (request,) = _requests(1)
    journal.sending([request])
    assert journal.unsynced == 0
    journal.result(request, JobResult(Outcome.CREATED, "Created", 4711, 201, 0))
    # a killed process loses nothing the OS already has; another reader sees the id
    (entry,) = Journal(journal.path).entries()
    assert entry.result.job_id == 4711
    assert journal.unsynced == 1
    journal.sync()
    assert journal.unsynced == 0
    journal.close()
