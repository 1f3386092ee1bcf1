#!/usr/bin/env python3
"""Temperature gateway: reads cryostat temperatures on the lab network and POSTs them to
the cryostat queue site, buffering on disk whenever the site cannot be reached.

Usage: python temperature_gateway.py --config config.json [--once] [--dry-run] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

import requests

if __package__:
    from .buffer import BufferLock, BufferLockedError, ReadingBuffer
    from .config import ConfigError, GatewayConfig, Machine, load_config
    from .readers import Reader, ReadError, instrument_session, make_reader
    from .sender import MAX_BATCH, Backoff, PostOutcome, SiteClient, build_payload, utc_now_iso
else:
    from buffer import BufferLock, BufferLockedError, ReadingBuffer
    from config import ConfigError, GatewayConfig, Machine, load_config
    from readers import Reader, ReadError, instrument_session, make_reader
    from sender import MAX_BATCH, Backoff, PostOutcome, SiteClient, build_payload, utc_now_iso

log = logging.getLogger("gateway")

EXIT_OK = 0
EXIT_BUFFERED = 1
EXIT_CONFIG = 2
# Long backlogs rewrite the buffer file at most this often while draining.
SAVE_INTERVAL_SECONDS = 5.0


def read_machines(
    machines: Sequence[Machine], reader: Reader
) -> tuple[list[dict[str, Any]], list[str]]:
    readings: list[dict[str, Any]] = []
    unreachable: list[str] = []
    for machine in machines:
        try:
            kelvin = reader(machine)
        except ReadError as exc:
            log.warning("%s unreachable: %s", machine.name, exc)
            unreachable.append(machine.name)
            continue
        except Exception:
            # A bug in one reader must not cost the other machines their reading.
            log.exception(
                "%s unreachable: unexpected error in the %s reader", machine.name, machine.reader
            )
            unreachable.append(machine.name)
            continue
        log.debug("%s: %g K", machine.name, kelvin)
        readings.append(
            {
                "machine": machine.name,
                "kelvin": kelvin,
                "read_at": utc_now_iso(),
                "id": uuid.uuid4().hex,
            }
        )
    return readings, unreachable


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        *,
        reader: Reader | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.stop = stop_event or threading.Event()
        self.read = reader or make_reader(instrument_session())
        self.buffer = ReadingBuffer(config.buffer_path, config.buffer_max_readings)
        self.client = SiteClient(config.endpoint, config.api_key, config.timeout, session)
        self.backoff = Backoff(
            config.poll_interval,
            clock=clock,
            state_path=Path(str(config.buffer_path) + ".state"),
            fingerprint=Backoff.fingerprint_for(config.site_url, config.api_key),
        )
        self._batch = MAX_BATCH

    def run_pass(self) -> bool:
        """Read every machine, buffer the readings and try to deliver the whole buffer.

        Returns True when the site acknowledged everything, False when readings stay
        buffered or the site could not be told about this pass.
        """
        started = self.clock()
        readings, unreachable = read_machines(self.config.machines, self.read)
        self.buffer.append(readings)
        log.info(
            "read %d of %d machine(s)%s; %d reading(s) to send",
            len(readings),
            len(self.config.machines),
            f", unreachable: {', '.join(unreachable)}" if unreachable else "",
            len(self.buffer),
        )
        if not self.backoff.ready():
            log.warning(
                "not contacting the site yet: backing off after %d failed attempt(s), "
                "next attempt in %.0f s; %d reading(s) stay buffered",
                self.backoff.failures,
                self.backoff.remaining(),
                len(self.buffer),
            )
            return False
        return self._flush(unreachable, started)

    def _flush(self, unreachable: list[str], started: float) -> bool:
        # Each pass starts optimistic again, in case the site's size limit was raised.
        self._batch = MAX_BATCH
        first = True
        try:
            # The first POST goes out even with no readings so the site hears about
            # unreachable machines and knows the gateway is alive.
            while first or len(self.buffer):
                if not first and self.stop.is_set():
                    log.info("stopping: %d reading(s) stay buffered", len(self.buffer))
                    return False
                first = False
                failure = self._send(self.buffer.oldest(self._batch), unreachable)
                if failure is not None:
                    delay = self.backoff.record_failure(failure.retry_after, started)
                    log.log(
                        logging.ERROR if failure.auth_failed else logging.WARNING,
                        "%s; %d reading(s) stay buffered, next attempt in %.0f s",
                        failure.problem,
                        len(self.buffer),
                        delay,
                    )
                    return False
                self.buffer.save(min_interval=SAVE_INTERVAL_SECONDS)
            self.backoff.record_success()
            return True
        finally:
            self.buffer.save()

    def _send(self, chunk: list[dict[str, Any]], unreachable: list[str]) -> PostOutcome | None:
        """POST one chunk, halving it on 413; returns the failure, or None on success."""
        outcome = self.client.post(chunk, unreachable)
        if outcome.too_large and len(chunk) > 1:
            half = (len(chunk) + 1) // 2
            log.warning("%s; retrying in batches of %d", outcome.problem, half)
            self._batch = min(self._batch, half)
            failure = self._send(chunk[:half], unreachable)
            if failure is not None:
                return failure
            return self._send(chunk[half:], unreachable)
        if not outcome.ok:
            return outcome
        self._acknowledge(chunk, outcome)
        return None

    def _acknowledge(self, chunk: list[dict[str, Any]], outcome: PostOutcome) -> None:
        by_id = {r["id"]: r for r in chunk}
        for error in outcome.rejected:
            reading = by_id.get(error.get("id"))
            index = error.get("index")
            if reading is None and isinstance(index, int) and 0 <= index < len(chunk):
                reading = chunk[index]
            reasons = error.get("reasons") or ["no reason given"]
            if reading is None:
                log.error(
                    "site rejected an unknown reading %r: %s", error, "; ".join(map(str, reasons))
                )
                continue
            log.error(
                "site rejected reading %s (%s, %s K, read at %s): %s; dropped",
                reading["id"],
                reading["machine"],
                reading["kelvin"],
                reading["read_at"],
                "; ".join(map(str, reasons)),
            )
        accounted = outcome.stored + outcome.duplicates + len(outcome.rejected)
        if accounted != len(chunk):
            log.warning(
                "site accounted for %d of the %d reading(s) sent (HTTP %s)",
                accounted,
                len(chunk),
                outcome.status,
            )
        self.buffer.acknowledge(by_id)
        log.info(
            "sent %d reading(s): %d stored, %d duplicate(s), %d rejected; %d left in buffer",
            len(chunk),
            outcome.stored,
            outcome.duplicates,
            len(outcome.rejected),
            len(self.buffer),
        )

    def run_forever(self, sleep: Callable[[float], None] | None = None) -> None:
        sleep = sleep or self._sleep
        log.info(
            "gateway started: %d machine(s), every %g s, sending to %s",
            len(self.config.machines),
            self.config.poll_interval,
            self.config.endpoint,
        )
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.run_pass()
            except Exception:
                log.exception("unexpected error during the pass; trying again next pass")
            if self.stop.is_set():
                break
            sleep(max(0.0, self.config.poll_interval - (time.monotonic() - started)))
        log.info("gateway stopped; %d reading(s) buffered", len(self.buffer))

    def _sleep(self, seconds: float) -> None:
        # Short waits keep Ctrl+C responsive on Windows, where a long wait ignores it.
        deadline = time.monotonic() + seconds
        while not self.stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.stop.wait(min(left, 1.0))


def dry_run(config: GatewayConfig, reader: Reader | None = None) -> int:
    readings, unreachable = read_machines(
        config.machines, reader or make_reader(instrument_session())
    )
    log.info(
        "dry run: would POST %d reading(s) to %s (nothing sent, nothing buffered)",
        len(readings),
        config.endpoint,
    )
    print(json.dumps(build_payload(readings, unreachable), indent=2))
    return EXIT_BUFFERED if unreachable else EXIT_OK


def setup_logging(verbose: bool, log_file: str | None = None) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S%z")
    )
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def install_signal_handlers(stop: threading.Event) -> None:
    def handle(signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # second signal: the operator wants out now
        log.info("received %s; stopping after the current pass", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Read cryostat temperatures and send them to the cryostat queue site."
    )
    parser.add_argument("--config", required=True, help="path to the JSON config file")
    parser.add_argument(
        "--once", action="store_true", help="do one pass and exit (for cron / Task Scheduler)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read the instruments and print the JSON that would be sent; send nothing",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--log-file", help="append logs to this file instead of stderr")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        setup_logging(args.verbose, args.log_file)
    except OSError as exc:
        print(f"cannot open log file {args.log_file}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        config = load_config(args.config, require_key=not args.dry_run)
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    if args.dry_run:
        return dry_run(config)

    lock = BufferLock(config.buffer_path)
    try:
        lock.acquire()
    except BufferLockedError as exc:
        log.error("%s; not starting a second one", exc)
        return EXIT_BUFFERED
    except OSError as exc:
        log.error("cannot use buffer_path %s: %s", config.buffer_path, exc)
        return EXIT_CONFIG
    try:
        stop = threading.Event()
        gateway = Gateway(config, stop_event=stop)
        # With --once a signal still lets a long backlog flush stop between two POSTs.
        install_signal_handlers(stop)
        if args.once:
            return EXIT_OK if gateway.run_pass() else EXIT_BUFFERED
        gateway.run_forever()
        return EXIT_OK
    except KeyboardInterrupt:
        log.warning("interrupted; buffered readings are kept on disk")
        return 130
    finally:
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
