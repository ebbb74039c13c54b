"""Create the Address Lists sheet's lists from the Addresses sheet's rows, then wait for
Click2Mail to make each ready (CASS Standardized), for a bounded time.

A list is sent only when every address that names it can be mailed; a list whose create
may have reached Click2Mail without an answer is never sent again by xl-mailer (its row
says what to do). A list made but not ready when the wait runs out keeps its id: the next
upload (or Create Jobs) only asks for its status again.

As with documents (``app.documents``), each list's row is marked UNKNOWN and ``save``
called before its create leaves, and its id (or refusal) is saved as soon as it is
answered, before any wait; each status read at the end of the wait is saved too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from xl_mailer.app.documents import (
    NOT_SIGNED_IN,
    Named,
    Save,
    reason,
    save_mark,
    save_now,
    sent_mark,
)
from xl_mailer.app.ports import BookPort, SheetPort
from xl_mailer.app.tablewrites import new_table, result_cells, write_cells, write_header
from xl_mailer.click2mail.readings import AddressListStatus
from xl_mailer.core.addresses import (
    ADDRESS_LISTS,
    ADDRESS_LISTS_SHEET,
    ADDRESSES,
    ADDRESSES_SHEET,
    FIELDS,
    LIST_ERROR,
    LIST_READY,
    ListPlan,
    Recipients,
    gather,
    place_names,
    plan_lists,
    unlisted,
)
from xl_mailer.core.calls import CallOutcome, CallResult
from xl_mailer.core.documents import name_key
from xl_mailer.core.errors import ApiError, AuthenticationError, TransportError
from xl_mailer.core.tables import Table, find_table

UNKNOWN_THEN = (
    "Not sent again: its last create may have reached Click2Mail. Look for it in"
    " Click2Mail's Address Lists and type its id into Address List ID, or clear this"
    " Description to send it again"
)

WaitProgress = Callable[[str, AddressListStatus, float], None]
"""Hears each poll of a list: its name, its status, the seconds waited for it."""


@dataclass(frozen=True)
class ListWait:
    """How long to wait, in all, for the lists to be ready, and how often to ask."""

    timeout: float = 300.0
    poll: float = 5.0


DEFAULT_WAIT = ListWait()


class ListMaker(Protocol):
    """What making lists needs from Click2Mail (``click2mail.mailing.Mailing``)."""

    def create_address_list(
        self, name: str, addresses: Iterable[Mapping[str, str | None]], mapping_id: int = 1
    ) -> CallResult: ...

    def wait_for_address_list(
        self,
        list_id: int,
        *,
        timeout: float,
        poll: float,
        progress: Callable[[AddressListStatus, float], None] | None = None,
    ) -> AddressListStatus: ...


def not_ready_text(status: AddressListStatus, waited: float) -> str:
    """A list still at work at Click2Mail when the wait ran out, and what to do."""
    return (
        f"{status.name}: not ready after {waited:.0f} s (Click2Mail is still standardizing"
        " it). Its id is kept; upload again in a few minutes (ribbon: Upload Documents and"
        " Lists; command: xl-mailer upload) to ask for its status. It is not sent again"
    )


def create_lists(
    book: BookPort,
    maker: ListMaker,
    *,
    only: Collection[str] | None = None,
    wait: ListWait = DEFAULT_WAIT,
    progress: WaitProgress | None = None,
    create: bool = False,
    save: Save | None = None,
) -> Named:
    """Create each Address Lists row's list that has no id (with ``only``: those whose
    names, by ``name_key``, are in it) and wait for every list not yet ready. A list name the
    Addresses sheet gives that the Address Lists sheet lacks gets a row there. ``create``
    adds either sheet, with its header row, to a book without it. ``save`` is called after
    each list's UNKNOWN mark, before its create leaves, after its answer is written, and
    after each status the wait reads is written. Raises SheetLayoutError,
    nothing sent, when a sheet has no table; AuthenticationError stops everything."""
    done = Named()
    addresses = book.other(ADDRESSES_SHEET, create=create)
    lists = book.other(ADDRESS_LISTS_SHEET, create=create)
    recipients: dict[str, Recipients] = {}
    if addresses is not None:
        values = addresses.values()
        if _empty(values):
            if create:
                new_table(addresses, ADDRESSES, first=("List", *FIELDS))
                addresses.checkpoint()
                done.added_sheet = True
        else:
            recipients = gather(values, find_table(values, ADDRESSES, sheet=addresses.name))
    if lists is None:
        done.has_sheet = False
        return done
    values = lists.values()
    if _empty(values):
        if not recipients and not create:
            return done
        new_table(lists, ADDRESS_LISTS)
        done.added_sheet = done.added_sheet or not recipients
        values = [list(ADDRESS_LISTS.required + ADDRESS_LISTS.written)]
    table = find_table(values, ADDRESS_LISTS, sheet=lists.name)
    missing = unlisted(recipients, plan_lists(values, table, recipients))
    missing = [n for n in missing if only is None or name_key(n) in only]
    if missing:
        # values as written (Excel's are not read again: the remote engine shows the sheet
        # as it was sent)
        first, values = place_names(values, table, missing)
        lists.write_block(first, table.columns["List"], [[name] for name in missing])
    if table.added:
        write_header(lists, table)
    waiting: list[tuple[ListPlan, int]] = []
    for plan in plan_lists(values, table, recipients):
        if only is not None and plan.key not in only:
            if plan.list_id is not None and plan.status == LIST_READY:
                done.ids[plan.key] = plan.list_id
            continue
        if plan.list_id is not None:
            if plan.status == LIST_READY:
                done.ids[plan.key] = plan.list_id
            elif plan.status == LIST_ERROR:
                done.refused[plan.key] = (
                    f"address list {plan.name!r} ({plan.list_id}) is in Error at Click2Mail:"
                    " fix its addresses, clear its Address List ID and send it again"
                )
            else:
                waiting.append((plan, plan.list_id))
            continue
        if plan.waiting is not None:
            done.refused[plan.key] = f"address list {plan.name!r}: {UNKNOWN_THEN}"
            done.not_sent += 1
            continue
        if plan.problem is not None:
            write_cells(lists, table, plan.row, _cells(plan.count, None, plan.problem))
            done.not_sent += 1
            if plan.key:
                done.refused.setdefault(
                    plan.key, f"address list {plan.name!r}: {reason(plan.problem)}"
                )
            continue
        mark = sent_mark("create", UNKNOWN_THEN)
        write_cells(lists, table, plan.row, _cells(plan.count, None, mark))
        save_mark(save, partial(_describe, lists, table, plan.row, plan.count))
        try:
            result = maker.create_address_list(plan.name, plan.addresses)
        except AuthenticationError:  # a 401: refused, nothing made
            write_cells(lists, table, plan.row, _cells(plan.count, None, NOT_SIGNED_IN))
            save_now(save)
            raise
        write_cells(lists, table, plan.row, _cells(plan.count, result, result.description))
        save_now(save)
        lists.checkpoint()
        done.sent.append((plan.row, result))
        if result.outcome is CallOutcome.CREATED and result.id is not None:
            if result.code == LIST_READY:
                done.ids[plan.key] = result.id
            else:
                waiting.append((plan, result.id))
        else:
            done.refused[plan.key] = (
                f"address list {plan.name!r} was not created: {result.description}"
            )
    _wait_all(lists, table, maker, waiting, wait, progress, done, save)
    return done


def _wait_all(
    lists: BookPort,
    table: Table,
    maker: ListMaker,
    waiting: list[tuple[ListPlan, int]],
    wait: ListWait,
    progress: WaitProgress | None,
    done: Named,
    save: Save | None,
) -> None:
    """Wait for each list in turn, all of them within ``wait.timeout``."""
    deadline = time.monotonic() + wait.timeout
    for plan, list_id in waiting:
        left = max(deadline - time.monotonic(), 0.001)

        def heard(status: AddressListStatus, waited: float, name: str = plan.name) -> None:
            if progress is not None:
                progress(name, status, waited)

        started = time.monotonic()
        try:
            status = maker.wait_for_address_list(
                list_id, timeout=left, poll=min(wait.poll, left), progress=heard
            )
        except AuthenticationError:
            raise
        except (ApiError, TransportError) as exc:
            text = f"Status not read ({exc}); its id is kept: upload again later to ask for it"
            write_cells(lists, table, plan.row, {"Address List ID": list_id, "Description": text})
            done.refused[plan.key] = f"address list {plan.name!r}: {text}"
            save_now(save)
            continue
        cells: dict[str, object] = {"Address List ID": list_id, "Return Code": status.code}
        if status.ready:
            done.ids[plan.key] = list_id
            cells["Description"] = status.name
        elif status.failed:
            cells["Description"] = (
                f"{status.name}: Click2Mail could not standardize this list; fix its"
                " addresses, clear its Address List ID and send it again"
            )
            done.refused[plan.key] = f"address list {plan.name!r} is in Error at Click2Mail"
        else:
            cells["Description"] = not_ready_text(status, time.monotonic() - started)
            done.refused[plan.key] = (
                f"address list {plan.name!r} is not ready yet ({status.name}); press Create"
                " Jobs again in a few minutes"
            )
        write_cells(lists, table, plan.row, cells)
        save_now(save)
        lists.checkpoint()


def _describe(sheet: SheetPort, table: Table, row: int, count: int, said: str) -> None:
    write_cells(sheet, table, row, _cells(count, None, said))


def _empty(values: list[list[object]]) -> bool:
    return not any(any(v not in (None, "") for v in line) for line in values)


def _cells(count: int, result: CallResult | None, description: str) -> dict[str, object]:
    return {"Addresses": count, **result_cells("Address List ID", result, description)}


def lists_line(done: Named) -> str:
    """What creating lists did, in one sentence."""
    made, failed, unknown = done.counts()
    if done.added_sheet:
        return (
            f"Added the {ADDRESSES_SHEET} and {ADDRESS_LISTS_SHEET} sheets: fill in one row per"
            " recipient (List, then the address) and upload again."
        )
    if not done.has_sheet or (not done.sent and not done.not_sent and not done.refused):
        return "Address lists: nothing to create" + (
            f" ({len(done.ids)} ready)." if done.ids else "."
        )
    parts = done.parts(f"{made} created", f"{len(done.ids)} ready", again="sending")
    late = len(done.refused) - done.not_sent - failed - unknown
    if late > 0:
        parts.append(f"{late} not ready or in error (see their Description)")
    return "Address lists: " + ", ".join(parts) + "."
