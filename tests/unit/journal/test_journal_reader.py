"""JournalReader: the journal as serve's assembler process sees it (read only, bounded by
the durable end the writer publishes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.unit.journal.test_journal import fill, pdu, routing

from custodio.errors import JournalError
from custodio.journal import Journal, JournalReader
from custodio.journal.format import SEGMENT_HEADER_SIZE, encode_record, encode_routing


def batches(journal: Journal, count: int, start: int = 0) -> None:
    """``count`` records in batches of 10 (a segment rotates between batches)."""
    for n in range(start, start + count, 10):
        fill(journal, 10, n)


def published(journal: Journal) -> list[int]:
    """What the writer process would publish (``on_durable``), here a plain cell."""
    cell = [journal.durable_seq]
    journal.on_durable = lambda seq: cell.__setitem__(0, seq)
    return cell


def test_reads_what_the_writer_made_durable_across_segments(tmp_path: Path) -> None:
    writer = Journal.open(tmp_path, segment_size=4096)
    end = published(writer)
    reader = JournalReader(tmp_path, durable=lambda: end[0])
    assert reader.read(0, 10) == []
    batches(writer, 300)  # 4 KiB segments
    assert end[0] == 300 and len(writer.segments()) == 5
    got: list[int] = []
    while batch := reader.read(got[-1] if got else 0, 7):  # resumes mid-segment each time
        got += [r.seq for r in batch]
    assert got == list(range(1, 301))
    assert [r.pdu for r in reader.read(150, 3)] == [pdu(150), pdu(151), pdu(152)]
    assert reader.read(0, 1000) == writer.read(0, 1000)
    writer.close_sync()


def test_nothing_past_the_published_end_is_read(tmp_path: Path) -> None:
    writer = Journal.open(tmp_path)
    fill(writer, 5)
    writer.close_sync()
    # a record on disk that its writer has not (yet) reported durable: not to be read
    active = sorted((tmp_path / "segments").iterdir())[-1]
    with active.open("ab") as f:
        f.write(encode_record(6, 1, encode_routing(routing(6)), pdu(6)))
    reader = JournalReader(tmp_path, durable=lambda: 5)
    assert [r.seq for r in reader.read(0, 100)] == [1, 2, 3, 4, 5]
    assert [r.seq for r in JournalReader(tmp_path, durable=lambda: 6).read(4, 100)] == [5, 6]


def test_consumer_positions_are_shared_with_the_writer(tmp_path: Path) -> None:
    writer = Journal.open(tmp_path, segment_size=4096)
    end = published(writer)
    batches(writer, 200)
    reader = JournalReader(tmp_path, durable=lambda: end[0])
    consumer = reader.consumer("assemble")
    records = consumer.read(120)
    consumer.commit(records[-1].seq)
    consumed = writer.consumed_segments()  # the writer sees the reader's position
    assert consumed and all(s.last_seq <= 120 for s in consumed)
    for segment in consumed:
        writer.retire(segment)
    fill(writer, 10, 200)
    assert [r.seq for r in consumer.read(1000)] == list(range(121, 211))
    again = JournalReader(tmp_path, durable=lambda: end[0]).consumer("assemble")
    assert again.position == 120 and again.read(1)[0].seq == 121
    writer.close_sync()


def test_it_never_writes(tmp_path: Path) -> None:
    writer = Journal.open(tmp_path)
    fill(writer, 2)
    writer.close_sync()
    before = {p.name: p.read_bytes() for p in (tmp_path / "segments").iterdir()}
    reader = JournalReader(tmp_path, durable=lambda: 2)
    with pytest.raises(JournalError, match="read here"):
        reader.append_sync([(routing(3), pdu(3))])
    with pytest.raises(JournalError, match="read here"):
        reader.consumed_segments()
    with pytest.raises(JournalError, match="read here"):
        reader.retire(reader.segments()[0])
    assert {p.name: p.read_bytes() for p in (tmp_path / "segments").iterdir()} == before
    assert os.path.getsize(reader.segments()[0].path) > SEGMENT_HEADER_SIZE


def test_no_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no journal"):
        JournalReader(tmp_path / "nowhere", durable=lambda: 0)
