"""The HTTP benchmarks, start to finish: `.venv/bin/python bench/run.py` (or `make bench`).

For each dataset size it creates a PostgreSQL database (bench_small, bench_mid,
bench_large), migrates it, generates the lab (bench/dataset.py), starts daphne
with bench.settings and a private redis-server, counts each endpoint's queries
once, then drives every endpoint with wrk at 1, 10 and 50 connections for
--seconds each, putting the data back after every write. At the mid size it
repeats the load against two daphne processes behind nginx. Then it reruns
bench/ws_fanout.py, writes bench/results.json and the generated part of
docs/benchmarks.md, and drops its databases (unless --keep).

Needs: PostgreSQL reachable at BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres; the role must be allowed to create
databases), redis-server and wrk on PATH, nginx for the two-process part.
"""

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load, report, servers

ROOT = servers.ROOT
PYTHON = servers.PYTHON
# name: (queued Q, completed H)
SIZES = {"small": (500, 5_000), "mid": (5_000, 50_000), "large": (20_000, 200_000)}
PACED_CLIENTS, PACED_THINK_MS = 10, 1000


def site_env(database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off, PostgreSQL, Redis) on plain HTTP over loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="false",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY="bench-only-secret-key-not-for-any-real-site-0123456789",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BASE_URL="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        BEHIND_TLS_PROXY="false",
        SECURE_HSTS_SECONDS="0",
        STATIC_MANIFEST="false",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOGIN_THROTTLING="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drain(pids: list[int], quiet_share: float = 0.05, step: float = 0.25) -> None:
    """Wait until the daphne processes have finished what wrk left in flight.

    wrk stops reading when its time is up, but daphne still runs every
    request it accepted (each in its own thread): at 50 connections seconds
    of work that would otherwise land on the next point. Quiet means using
    under 5 % of a core for two samples in a row.
    """
    quiet, deadline = 0, time.monotonic() + 600
    while quiet < 2 and time.monotonic() < deadline:
        before = cpu_seconds(pids)
        time.sleep(step)
        quiet = quiet + 1 if cpu_seconds(pids) - before < quiet_share * step * len(pids) else 0


def measure(
    port: int,
    daphnes: list[servers.Daphne],
    scenarios: list[load.Scenario],
    clients: list[int],
    args: argparse.Namespace,
    env: dict[str, str],
    folder: Path,
) -> dict[str, list[dict[str, Any]]]:
    """Every scenario at every client count; writes are undone after each point."""
    pids = [server.process.pid for server in daphnes]
    results: dict[str, list[dict[str, Any]]] = {}
    for scenario in scenarios:
        for count in clients:
            before, load_before = cpu_seconds(pids), load_average()
            point = load.run_wrk(port, scenario, count, args.seconds, folder)
            drain(pids)
            point["cpu_ms_per_request"] = (
                # Sent, not answered: what was in flight at the end was served too.
                (cpu_seconds(pids) - before) * 1000 / max(1, point["sent"])
            )
            point["load"] = max(load_before, load_average())
            if scenario.writes:
                point["server_side"] = json.loads(manage(env, "bench/dataset.py", "reset"))
            results.setdefault(scenario.name, []).append(point)
            print(f"  {scenario.name:12} c={count:<3} {report.point_line(point)}", flush=True)
    return results


def run_size(
    name: str, args: argparse.Namespace, dbs: servers.Databases, redis: servers.Redis, tmp: Path
) -> dict[str, Any]:
    queued, completed = SIZES[name]
    db = f"bench_{name}"
    print(f"== {name}: Q={queued:,} H={completed:,} ({db})", flush=True)
    env = site_env(dbs.recreate(db), redis.url)
    redis.flush()
    started = time.monotonic()
    manage(env, "manage.py", "migrate", "--noinput", "-v0")
    plan_path = tmp / f"plan-{name}.json"
    counts = json.loads(
        manage(env, "bench/dataset.py", "generate", "--machines", str(args.machines),
               "--members", str(args.members), "--queued", str(queued),
               "--completed", str(completed), "--plan", str(plan_path)).splitlines()[-1]
    )  # fmt: skip
    setup_seconds = time.monotonic() - started
    print(f"  generated in {setup_seconds:.0f} s: {counts}", flush=True)
    scenarios = load.scenarios(json.loads(plan_path.read_text()))
    outcome: dict[str, Any] = {
        "queued": queued,
        "completed": completed,
        "rows": counts,
        "setup_seconds": setup_seconds,
    }
    first = servers.Daphne(env, tmp / f"daphne-{name}-a.log").start()
    try:
        outcome["queries"] = {s.name: load.count_queries(first.port, s) for s in scenarios}
        manage(env, "bench/dataset.py", "reset")
        outcome["one"] = measure(first.port, [first], scenarios, args.clients, args, env, tmp)
        # Members who pause between submits, as people do, rather than a closed loop.
        submit = next(s for s in scenarios if s.name == "submit")
        paced = dataclasses.replace(submit, think_ms=PACED_THINK_MS)
        print(f"  -- submit, {PACED_CLIENTS} clients pausing {PACED_THINK_MS} ms on average")
        outcome["paced"] = measure(first.port, [first], [paced], [PACED_CLIENTS], args, env, tmp)
        if name in args.two_process_sizes:
            outcome["two"] = two_processes(first, scenarios, args, env, tmp, name)
    finally:
        first.stop()
        if not args.keep:
            dbs.drop(db)
    return outcome


def two_processes(
    first: servers.Daphne,
    scenarios: list[load.Scenario],
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
    name: str,
) -> dict[str, Any] | str:
    if not servers.Nginx.available():
        return "skipped: nginx is not installed (apt-get install nginx-light)"
    second = servers.Daphne(env, tmp / f"daphne-{name}-b.log").start()
    balancer = servers.Nginx(tmp / "nginx", [first.port, second.port])
    try:
        balancer.start()
        print("  -- two daphne processes behind nginx", flush=True)
        clients = [c for c in args.clients if c > 1]
        return measure(balancer.port, [first, second], scenarios, clients, args, env, tmp)
    finally:
        balancer.stop()
        second.stop()


def ws_fanout(args: argparse.Namespace) -> list[dict[str, Any]] | str:
    script = ROOT / "bench" / "ws_fanout.py"
    if args.skip_ws:
        return "skipped (--skip-ws)"
    if not script.exists():
        return "missing: bench/ws_fanout.py does not exist"
    rows = []
    for clients, interval in args.ws:
        print(f"== ws_fanout.py --clients {clients} --interval {interval}", flush=True)
        out = subprocess.run(
            [PYTHON, str(script), "--clients", str(clients), "--interval", str(interval)],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=900,
        )  # fmt: skip
        lines = [x for x in out.stdout.splitlines() if x.startswith("|")]
        rows.append(
            {
                "clients": clients,
                "interval": interval,
                "status": out.returncode,
                "table": lines,
                "error": "" if out.returncode == 0 else (out.stderr or out.stdout)[-2000:],
                "load": load_average(),
            }
        )
        print("\n".join(lines) or rows[-1]["error"], flush=True)
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,mid,large", help="from: " + ", ".join(SIZES))
    parser.add_argument("--clients", default="1,10,50", help="concurrent connections")
    parser.add_argument("--seconds", type=int, default=10, help="per measurement point")
    parser.add_argument("--machines", type=int, default=50)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--two-process-sizes", default="mid", help="'' to skip")
    parser.add_argument("--ws", default="100:0.1,1000:0.5", help="clients:interval pairs")
    parser.add_argument("--skip-ws", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the bench_* databases")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-doc", action="store_true", help="print, write no doc")
    parser.add_argument(
        "--render-only", action="store_true", help="measure nothing: rewrite the doc from --results"
    )
    args = parser.parse_args()
    args.sizes = [s for s in args.sizes.split(",") if s]
    unknown = set(args.sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown sizes: {', '.join(sorted(unknown))}")
    args.clients = [int(c) for c in args.clients.split(",")]
    args.two_process_sizes = [s for s in args.two_process_sizes.split(",") if s]
    args.ws = [(int(c), float(i)) for c, i in (p.split(":") for p in args.ws.split(",") if p)]
    return args


def stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so the servers and databases are cleaned up


def main() -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args = parse_args()
    if args.render_only:
        report.write_doc(args.doc, report.render(json.loads(args.results.read_text())))
        print(f"Wrote {args.doc} from {args.results}")
        return
    if not load.wrk_available():
        raise SystemExit("wrk is not on PATH: apt-get install wrk (or `make bench-deps`).")
    dbs = servers.Databases()
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M %Z"), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        tmp = Path(folder)
        redis = servers.Redis(tmp).start()
        try:
            results["machine"] = report.machine_facts(dbs.version(), redis.version())
            results["settings"] = {"seconds": args.seconds, "clients": args.clients}
            for name in args.sizes:
                results["sizes"][name] = run_size(name, args, dbs, redis, tmp)
        finally:
            redis.stop()
    results["ws"] = ws_fanout(args)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M %Z")
    args.results.write_text(json.dumps(results, indent=1))
    text = report.render(results)
    print(text)
    if not args.no_doc:
        report.write_doc(args.doc, text)
        print(f"Wrote {args.doc} and {args.results}")


if __name__ == "__main__":
    main()
