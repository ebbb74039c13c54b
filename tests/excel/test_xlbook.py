"""Desktop-only behaviour of the xlwings adapter, checked against a stand-in for Excel's app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from xl_mailer.engine.runner import RunSummary
from xl_mailer.excel.xlbook import quiet_excel, status
from xl_mailer.ribbon import Progress as _Progress


@dataclass
class Engine:
    name: str = "excel"


@dataclass
class App:
    """Records what a run sets on Excel, as desktop Excel's App would apply it."""

    engine: Engine = field(default_factory=Engine)
    screen_updating: bool = True
    calculation: str = "automatic"
    status_bar: Any = False
    history: list[tuple[str, Any]] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("screen_updating", "calculation", "status_bar") and hasattr(self, "history"):
            self.history.append((name, value))
        object.__setattr__(self, name, value)


@dataclass
class Book:
    app: App = field(default_factory=App)


def test_screen_updating_and_calculation_are_restored_even_on_error() -> None:
    book = Book()
    with pytest.raises(RuntimeError), quiet_excel(book):  # type: ignore[arg-type]
        assert (book.app.screen_updating, book.app.calculation) == (False, "manual")
        raise RuntimeError("boom")
    assert (book.app.screen_updating, book.app.calculation) == (True, "automatic")


def test_a_remote_book_is_left_alone() -> None:
    book = Book(app=App(engine=Engine("remote")))
    with quiet_excel(book):  # type: ignore[arg-type]
        pass
    assert book.app.history == []


def test_progress_shows_in_the_status_bar_and_is_given_back() -> None:
    book = Book()
    progress = _Progress(book, "Creating jobs")  # type: ignore[arg-type]
    summary = RunSummary(total=1000)
    summary.counts = {**summary.counts}
    from xl_mailer.core.models import Outcome

    summary.counts[Outcome.CREATED] = 348
    summary.counts[Outcome.FAILED] = 2
    progress(summary)
    assert book.app.status_bar == "Creating jobs: 350 / 1000, 2 failed"
    status(book, None)  # type: ignore[arg-type]
    assert book.app.status_bar is False
