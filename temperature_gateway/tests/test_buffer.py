from __future__ import annotations

import json
import logging
import uuid

import pytest

from temperature_gateway.buffer import BufferLock, BufferLockedError, ReadingBuffer


def readings(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "machine": "Hidalgo",
            "kelvin": float(n),
            "read_at": f"2025-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.000+00:00",
            "id": uuid.uuid4().hex,
        }
        for n in range(start, start + count)
    ]


def file_ids(path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_append_persists_and_survives_restart(tmp_path):
    path = tmp_path / "buf.jsonl"
    batch = readings(3)
    ReadingBuffer(path, 10).append(batch)
    assert file_ids(path) == [r["id"] for r in batch]
    assert ReadingBuffer(path, 10).all() == batch


def test_bound_drops_oldest_with_warning(tmp_path, caplog):
    path = tmp_path / "buf.jsonl"
    buffer = ReadingBuffer(path, 5)
    batch = readings(8)
    buffer.append(batch[:4])
    with caplog.at_level(logging.WARNING, logger="gateway"):
        buffer.append(batch[4:])
    assert [r["id"] for r in buffer.all()] == [r["id"] for r in batch[3:]]
    assert file_ids(path) == [r["id"] for r in batch[3:]]
    assert "buffer full (5 readings max): dropped the 3 oldest" in caplog.text


def test_bound_applies_to_a_file_from_a_bigger_config(tmp_path):
    path = tmp_path / "buf.jsonl"
    batch = readings(6)
    ReadingBuffer(path, 100).append(batch)
    assert [r["id"] for r in ReadingBuffer(path, 2).all()] == [r["id"] for r in batch[4:]]


def test_acknowledge_rewrites_atomically(tmp_path):
    path = tmp_path / "buf.jsonl"
    buffer = ReadingBuffer(path, 10)
    batch = readings(4)
    buffer.append(batch)
    buffer.acknowledge([batch[0]["id"], batch[1]["id"]])
    buffer.save()
    assert file_ids(path) == [batch[2]["id"], batch[3]["id"]]
    buffer.acknowledge([batch[3]["id"]])  # not a prefix
    buffer.save()
    assert file_ids(path) == [batch[2]["id"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["buf.jsonl"]


def test_corrupt_and_truncated_lines_are_skipped(tmp_path, caplog):
    path = tmp_path / "buf.jsonl"
    good = readings(2)
    path.write_text(
        json.dumps(good[0])
        + "\nnot json\n"
        + json.dumps({"id": "x"})
        + "\n"
        + json.dumps(good[1])
        # A crash mid-append leaves half a line without its newline.
        + '\n{"machine": "Hid'
    )
    with caplog.at_level(logging.WARNING, logger="gateway"):
        buffer = ReadingBuffer(path, 10)
    assert buffer.all() == good
    assert "skipped 3 unreadable line(s)" in caplog.text
    new = readings(1, start=5)
    buffer.append(new)
    assert file_ids(path) == [good[0]["id"], good[1]["id"], new[0]["id"]]


def test_save_interval_spaces_out_rewrites(tmp_path):
    now = [0.0]
    path = tmp_path / "buf.jsonl"
    buffer = ReadingBuffer(path, 10, clock=lambda: now[0])
    batch = readings(3)
    buffer.append(batch)
    buffer.acknowledge([batch[0]["id"]])
    buffer.save(min_interval=5)
    assert len(file_ids(path)) == 3
    now[0] = 6.0
    buffer.save(min_interval=5)
    assert len(file_ids(path)) == 2


def test_lock_excludes_a_second_gateway(tmp_path):
    path = tmp_path / "buf.jsonl"
    with BufferLock(path), pytest.raises(BufferLockedError, match="another gateway process"):
        BufferLock(path).acquire()
    with BufferLock(path):
        pass
