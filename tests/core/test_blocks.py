from __future__ import annotations

from xl_mailer.core.blocks import BlockBuffer, bridge, contiguous_blocks


def test_rows_group_into_contiguous_blocks_in_row_order() -> None:
    rows = [(7, ["g"]), (5, ["e"]), (6, ["f"]), (10, ["j"])]
    assert contiguous_blocks(rows) == [(5, [["e"], ["f"], ["g"]]), (10, [["j"]])]


def test_bridge_joins_blocks_across_rows_this_run_wrote_itself() -> None:
    blocks = contiguous_blocks([(5, ["new5"]), (6, ["new6"]), (8, ["new8"])])
    assert bridge(blocks, {7: ["ours7"]}) == [(5, [["new5"], ["new6"], ["ours7"], ["new8"]])]


def test_bridge_never_rewrites_a_row_the_run_did_not_write() -> None:
    blocks = contiguous_blocks([(5, ["a"]), (7, ["b"]), (9, ["c"])])
    assert bridge(blocks, {8: ["ours8"]}) == [(5, [["a"]]), (7, [["b"], ["ours8"], ["c"]])]


def test_the_buffer_flushes_every_n_rows_or_after_a_while() -> None:
    flushed: list[int] = []
    now = [0.0]
    buffer = BlockBuffer(
        lambda blocks: flushed.append(sum(len(c) for _, c in blocks)),
        rows=3,
        seconds=2.0,
        clock=lambda: now[0],
    )
    for row in range(2, 9):
        buffer.add(row, [row])
    assert flushed == [3, 3]
    now[0] = 5.0
    buffer.add(9, [9])
    assert flushed == [3, 3, 2]
    buffer.flush()
    assert flushed == [3, 3, 2]


def test_rows_beyond_the_first_awaited_row_wait_so_blocks_stay_whole() -> None:
    flushed: list[list[tuple[int, int]]] = []
    awaited = [3]
    buffer = BlockBuffer(
        lambda blocks: flushed.append([(first, len(cells)) for first, cells in blocks]),
        rows=6,
        seconds=60.0,
        clock=lambda: 0.0,
        frontier=lambda: awaited[0] if awaited else None,
    )
    for row in (1, 2, 4, 5, 6, 7, 8):  # row 3 is still in flight
        buffer.add(row, [row])
    assert flushed == []  # below row 3 there are only 2 of 7 rows: not worth a write yet
    awaited.clear()
    buffer.add(3, [3])  # row 3 arrives: everything is settled
    assert flushed == [[(1, 8)]]
