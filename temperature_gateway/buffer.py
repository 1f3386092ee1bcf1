"""Bounded on-disk buffer of readings that the site has not acknowledged yet."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any, Callable

log = logging.getLogger("gateway")

READING_KEYS = ("machine", "kelvin", "read_at", "id")


class BufferLockedError(Exception):
    """Another gateway process is using the same buffer file."""


def _valid_reading(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and all(key in item for key in READING_KEYS)
        and isinstance(item["id"], str)
        and isinstance(item["kelvin"], (int, float))
        and not isinstance(item["kelvin"], bool)
    )


class ReadingBuffer:
    """Readings oldest first, mirrored in a JSONL file.

    New readings are appended (and fsynced) so they survive a crash or power cut; the file
    is rewritten atomically only when readings leave the buffer.
    """

    def __init__(
        self, path: Path, max_readings: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = Path(path)
        self.max_readings = max_readings
        self._clock = clock
        self._items: list[dict[str, Any]] = []
        self._dirty = False
        self._last_save = clock()
        self._load()

    def __len__(self) -> int:
        return len(self._items)

    def oldest(self, count: int) -> list[dict[str, Any]]:
        return self._items[:count]

    def all(self) -> list[dict[str, Any]]:
        return list(self._items)

    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        bad = 0
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if _valid_reading(item):
                self._items.append(item)
            else:
                bad += 1
        if bad:
            log.warning("buffer %s: skipped %d unreadable line(s)", self.path, bad)
        # A line cut short by a crash would swallow the next appended reading.
        if bad or (raw and not raw.endswith(b"\n")):
            self._dirty = True
        if self._items:
            log.info("buffer %s: %d unsent reading(s) from earlier runs", self.path, len(self))
        self._enforce_bound()
        self.save()

    def append(self, readings: Iterable[dict[str, Any]]) -> None:
        new = list(readings)
        if not new:
            return
        self._items.extend(new)
        if self._enforce_bound() or self._dirty:
            self.save()
            return
        lines = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in new)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            self._dirty = True
            log.error("cannot append to buffer %s: %s (kept in memory)", self.path, exc)

    def _enforce_bound(self) -> bool:
        excess = len(self._items) - self.max_readings
        if excess <= 0:
            return False
        dropped = self._items[:excess]
        del self._items[:excess]
        self._dirty = True
        log.warning(
            "buffer full (%d readings max): dropped the %d oldest, read %s to %s",
            self.max_readings,
            excess,
            dropped[0].get("read_at"),
            dropped[-1].get("read_at"),
        )
        return True

    def acknowledge(self, ids: Iterable[str]) -> None:
        gone = set(ids)
        if not gone:
            return
        # Chunks go out oldest first, so acknowledged readings are nearly always a prefix.
        prefix = 0
        while prefix < len(self._items) and self._items[prefix]["id"] in gone:
            prefix += 1
        if prefix == len(gone):
            del self._items[:prefix]
        else:
            self._items = [r for r in self._items if r["id"] not in gone]
        self._dirty = True

    def save(self, *, min_interval: float = 0.0) -> None:
        """Rewrite the file if it is out of date.

        min_interval spaces out rewrites while a long backlog drains: a crash before the
        next rewrite only makes the site see some readings again, which it drops by id.
        """
        if not self._dirty or self._clock() - self._last_save < min_interval:
            return
        try:
            self._rewrite()
        except OSError as exc:
            log.error("cannot rewrite buffer %s: %s (kept in memory)", self.path, exc)
            return
        self._dirty = False
        self._last_save = self._clock()

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                for reading in self._items:
                    fh.write(json.dumps(reading, separators=(",", ":")) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class BufferLock:
    """Exclusive lock next to the buffer file, so two gateways (e.g. an overlapping cron
    run and a service) never rewrite the same buffer and lose each other's readings."""

    def __init__(self, buffer_path: Path) -> None:
        self.buffer_path = Path(buffer_path)
        self.path = Path(str(buffer_path) + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            _lock_file(fh)
        except OSError:
            fh.close()
            raise BufferLockedError(
                f"another gateway process is using {self.buffer_path} (lock file {self.path})"
            ) from None
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                _unlock_file(self._fh)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> BufferLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock_file(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(fh: IO[str]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(fh: IO[str]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
