from __future__ import annotations

from xl_mailer.blocks import BlockBuffer, bridge, contiguous_blocks


def test_rows_group_into_contiguous_blocks_in_row_order() -> None:
    rows = [(7, ["g"]), (5, ["e"]), (6, ["f"]), (10, ["j"])]
    assert contiguous_blocks(rows) == [(5, [["e"], ["f"], ["g"]]), (10, [["j"]])]


def test_bridge_fills_gaps_with_the_rows_current_cells() -> None:
    blocks = contiguous_blocks([(5, ["new5"]), (6, ["new6"]), (8, ["new8"])])
    current = {7: ["kept7"]}
    assert bridge(blocks, lambda row: current[row]) == [
        (5, [["new5"], ["new6"], ["kept7"], ["new8"]])
    ]


def test_bridge_leaves_far_apart_blocks_alone() -> None:
    blocks = contiguous_blocks([(5, ["a"]), (500, ["b"])])
    assert bridge(blocks, lambda row: ["x"]) == blocks


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
