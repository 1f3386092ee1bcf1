"""WebSocket fan-out benchmark (not a test): one daphne process, the Redis layer, N live sockets.

Run from the project root:

    .venv/bin/python bench/ws_fanout.py --clients 100
    .venv/bin/python bench/ws_fanout.py --clients 1000

It starts a private redis-server on a free port, a SQLite site with members,
and one daphne process (DEBUG off, as in production). N sockets connect as
members (spread over 50 accounts) and subscribe to one machine's queue. A
separate driver process then makes the queue changes through the queue
engine (submits and cancels, --interval apart), stamping the wall-clock time
each one commits; its hints go through Redis to daphne, as they would from
any other web process. Every socket records when each change's hint reaches
it. Reported: latency from commit to receipt over every (socket, change)
pair (p50, p95, max), hints lost, and daphne's resident memory before the
sockets and with all of them connected and idle.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.test_settings")

import django  # noqa: E402

django.setup()

from calendarEditor.tests.test_live_support_servers import (  # noqa: E402
    Daphne,
    LiveSite,
    RedisServer,
    open_socket,
)

ACCOUNTS = 50
CONNECT_CONCURRENCY = 50
GRACE_SECONDS = 3.0

DRIVER = """
import json, time
from django.contrib.auth import get_user_model
from django.db import transaction
from calendarEditor.services import broadcast, matching, queue
from calendarEditor.services.submission import EntryRequest

member = get_user_model().objects.get(username="driver")
needs = EntryRequest(title="bench", estimated_hours=1, description="",
                     requirements=matching.Requirements(optical=True))
stamps, waiting = [], []
for n in range(CHANGES):
    time.sleep(INTERVAL)
    with transaction.atomic():
        if n % 2 == 0:
            result = queue.enqueue(needs, member=member, by=member)
            waiting.append(result.entry.pk)
        else:
            result = queue.cancel(waiting.pop(), by=member)
        version = result.events[0].version
        # Runs right after the hints' own on-commit hand-off, i.e. at commit.
        transaction.on_commit(lambda v=version: stamps.append([v, time.time()]))
broadcast.flush(30)
print("STAMPS " + json.dumps(stamps))
"""


@dataclass
class Outcome:
    clients: int
    changes: int
    latencies_ms: list[float]
    lost: int
    rss_before_mb: float
    rss_idle_mb: float
    connect_seconds: float
    cpu_ms_per_change: float


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def connect_all(server: Daphne, site: LiveSite, clients: int, machine: int) -> list:
    people = [site.people[f"m{n}"] for n in range(ACCOUNTS)]
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(n: int):
        async with limit:
            return await open_socket(server, people[n % ACCOUNTS], [machine])

    return await asyncio.gather(*(one(n) for n in range(clients)))


async def listen(socket, machine: int, seen: dict[int, float]) -> None:
    async for raw in socket:
        arrived = time.time()
        message = json.loads(raw)
        if message.get("type") == "queue.changed" and message.get("machine") == machine:
            seen.setdefault(message["version"], arrived)


async def measure(site: LiveSite, server: Daphne, args: argparse.Namespace) -> Outcome:
    machine = site.machines["Griffin"]
    rss_before = rss_mb(server.process.pid)
    started = time.monotonic()
    sockets = await connect_all(server, site, args.clients, machine)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(args.idle)
    rss_idle = rss_mb(server.process.pid)

    seen: list[dict[int, float]] = [{} for _ in sockets]
    listeners = [asyncio.create_task(listen(s, machine, seen[n])) for n, s in enumerate(sockets)]
    cpu_before = cpu_seconds(server.process.pid)
    stamps = await asyncio.to_thread(drive, site, args.changes, args.interval)
    await asyncio.sleep(GRACE_SECONDS)
    cpu_ms = (cpu_seconds(server.process.pid) - cpu_before) * 1000 / max(1, len(stamps))
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    latencies, lost = [], 0
    for version, committed in stamps:
        for arrivals in seen:
            if version in arrivals:
                latencies.append((arrivals[version] - committed) * 1000)
            else:
                lost += 1
    return Outcome(
        args.clients, len(stamps), latencies, lost, rss_before, rss_idle, connect_seconds, cpu_ms
    )


def drive(site: LiveSite, changes: int, interval: float) -> list[list[float]]:
    script = f"CHANGES = {changes}\nINTERVAL = {interval}\n{DRIVER}"
    output = site.manage("shell", "-c", script)
    return json.loads(output.split("STAMPS ", 1)[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(outcome: Outcome) -> str:
    lat = outcome.latencies_ms
    expected = outcome.clients * outcome.changes
    return (
        f"| {outcome.clients} | {outcome.changes} | {statistics.median(lat):.1f} | "
        f"{percentile(lat, 0.95):.1f} | {max(lat):.1f} | {outcome.lost} of {expected} | "
        f"{outcome.rss_before_mb:.0f} MB | {outcome.rss_idle_mb:.0f} MB | "
        f"{outcome.connect_seconds:.1f} s | {outcome.cpu_ms_per_change:.0f} ms |"
    )


HEADER = (
    "| sockets | changes | p50 ms | p95 ms | max ms | lost | daphne RSS, no sockets "
    "| daphne RSS, sockets idle | connect all | daphne CPU per change |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between changes")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before RSS is read")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ws-fanout-") as folder:
        redis = RedisServer(Path(folder)).start()
        site = LiveSite(Path(folder), redis_url=redis.url)
        try:
            site.create(people=("driver", *(f"m{n}" for n in range(ACCOUNTS))))
            server = site.daphne()
            outcome = asyncio.run(measure(site, server, args))
        finally:
            site.stop()
            redis.stop()
    print(HEADER)
    print(report(outcome))


if __name__ == "__main__":
    main()
