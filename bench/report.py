"""Tables and target verdicts from bench/run.py's results, as Markdown.

The generated text goes into docs/benchmarks.md between two marker comments;
whatever else the file holds (the written analysis, other benchmarks'
sections) is kept as it is.
"""

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

START = "<!-- bench/run.py results: start (generated, do not edit by hand) -->"
END = "<!-- bench/run.py results: end -->"
PAGES = ("board", "machine", "my_queue", "staff_queue")
LABELS = {
    "floor": "trivial view (floor)",
    "board": "board",
    "machine": "machine page",
    "my_queue": "my queue",
    "staff_queue": "staff queue",
    "submit": "submit (POST, matching + enqueue)",
    "cancel": "cancel of #1 (POST)",
    "move": "move (staff POST)",
    "gateway": "gateway POST (50 readings)",
}
PAGE_BUDGET, ACTION_BUDGET = 12, 15
SUBMIT_P95_MS, FLOOR_SHARE, GROWTH = 50.0, 0.40, 1.5


def machine_facts(postgres: str, redis: str) -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": postgres,
        "redis": redis,
        "wrk": wrk.split()[1] if wrk else "?",
        "uptime_at_start": subprocess.run(
            ["uptime"], capture_output=True, text=True
        ).stdout.strip(),
    }


def point_line(point: dict[str, Any]) -> str:
    extra = f" server-side {point['server_side']}" if "server_side" in point else ""
    bad = f" UNEXPECTED {point['unexpected']} {point['statuses']}" if point["unexpected"] else ""
    return (
        f"p50 {point['p50_ms']:7.1f} ms  p95 {point['p95_ms']:7.1f} ms  "
        f"{point['rps']:7.1f} req/s  cpu {point['cpu_ms_per_request']:5.1f} ms/req  "
        f"load {point['load']:.1f}{bad}{extra}"
    )


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _endpoint_table(points: dict[str, list[dict[str, Any]]], queries: dict) -> list[str]:
    clients = [p["clients"] for p in next(iter(points.values()))]
    head = ["endpoint", "queries"]
    for c in clients:
        head += [f"c={c} p50 ms", f"c={c} p95 ms", f"c={c} req/s"]
    head += [f"daphne CPU ms/req (c={clients[-1]})", "load avg"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, series in points.items():
        row = [LABELS[name], str(queries.get(name, ["", "-"])[1]) if queries else "-"]
        for point in series:
            flag = " ⚠" if point["unexpected"] else ""
            stop = " ⏹" if point["exhausted"] else ""
            row += [_ms(point["p50_ms"]), _ms(point["p95_ms"]), f"{point['rps']:,.1f}{flag}{stop}"]
        row += [f"{series[-1]['cpu_ms_per_request']:.1f}"]
        row += [f"{min(p['load'] for p in series):.1f}-{max(p['load'] for p in series):.1f}"]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _by_clients(series: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {p["clients"]: p for p in series}


def _floor_lines(results: dict[str, Any]) -> tuple[list[str], list[tuple[str, bool, str]]]:
    lines = [
        "| dataset | daphne | clients | floor req/s | board req/s | board / floor | "
        "floor CPU ms/req | board CPU ms/req | CPU ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for size, outcome in results["sizes"].items():
        for topology, label in (("one", "1"), ("two", "2 (nginx)")):
            points = outcome.get(topology)
            if not isinstance(points, dict):
                continue
            floor, board = _by_clients(points["floor"]), _by_clients(points["board"])
            best = 0.0
            for c in floor:
                f, b = floor[c], board[c]
                share = b["rps"] / f["rps"] if f["rps"] else 0.0
                cpu = f["cpu_ms_per_request"] / b["cpu_ms_per_request"]
                best = max(best, share) if c > 1 else best
                lines.append(
                    f"| {size} | {label} | {c} | {f['rps']:,.0f} | {b['rps']:,.1f} | "
                    f"{share:.0%} | {f['cpu_ms_per_request']:.2f} | "
                    f"{b['cpu_ms_per_request']:.2f} | {cpu:.0%} |"
                )
            verdicts.append(
                (f"board ≥ 40 % of the floor ({size}, {label} daphne)", best >= FLOOR_SHARE,
                 f"best {best:.0%} at saturation")
            )  # fmt: skip
    return lines, verdicts


def _growth_lines(results: dict[str, Any]) -> tuple[list[str], list[tuple[str, bool, str]]]:
    sizes = list(results["sizes"])
    head = ["page"] + [f"{s} p50 ms (c=1)" for s in sizes] + [f"{s} queries" for s in sizes]
    head += [f"{sizes[-1]} / {sizes[0]}"] if len(sizes) > 1 else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    verdicts = []
    for name in [*PAGES, "submit", "cancel", "move", "gateway"]:
        p50 = [_by_clients(results["sizes"][s]["one"][name]).get(1) for s in sizes]
        queries = [results["sizes"][s]["queries"][name][1] for s in sizes]
        row = [LABELS[name]] + [_ms(p["p50_ms"]) if p else "-" for p in p50]
        row += [str(q) for q in queries]
        if len(sizes) > 1 and p50[0] and p50[-1]:
            growth = p50[-1]["p50_ms"] / p50[0]["p50_ms"]
            row.append(f"{growth:.2f}x")
            if name in PAGES:
                verdicts.append((f"growth of {LABELS[name]} ≤ 1.5x", growth <= GROWTH,
                                 f"{growth:.2f}x"))  # fmt: skip
        budget = PAGE_BUDGET if name in PAGES else ACTION_BUDGET
        if name in (*PAGES, "submit", "cancel"):
            same = len(set(queries)) == 1
            fits = max(queries) <= budget
            verdicts.append(
                (f"queries of {LABELS[name]} ≤ {budget}" + (", same at every size" if name in PAGES
                 else ""), fits and (same or name not in PAGES), " / ".join(map(str, queries)))
            )  # fmt: skip
        lines.append("| " + " | ".join(row) + " |")
    return lines, verdicts


def _submit_verdicts(results: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    mid = results["sizes"].get("mid")
    if not mid:
        return []
    verdicts = []
    paced = mid.get("paced", {}).get("submit")
    if paced:
        point = paced[0]
        verdicts.append(
            (
                "(no target; for comparison) submit p95, 10 clients pausing 0-2 s, Q=5,000",
                None,
                f"{point['p95_ms']:.1f} ms (p50 {point['p50_ms']:.1f} ms, "
                f"{point['rps']:.1f} req/s)",
            )
        )
    for topology, label in (("one", "1 daphne"), ("two", "2 daphne")):
        points = mid.get(topology)
        if isinstance(points, dict) and 10 in _by_clients(points["submit"]):
            p95 = _by_clients(points["submit"])[10]["p95_ms"]
            verdicts.append((f"submit p95 ≤ 50 ms at 10 clients, Q=5,000 ({label})",
                             p95 <= SUBMIT_P95_MS, f"{p95:.1f} ms"))  # fmt: skip
    return verdicts


def _ws_lines(ws: Any) -> list[str]:
    if isinstance(ws, str):
        return [f"WebSocket fan-out: {ws}."]
    runs = ", ".join(f"{row['clients']} sockets at {row['interval']} s" for row in ws)
    lines = [
        f"WebSocket fan-out (bench/ws_fanout.py, rerun in this run; see its own section), "
        f"one row per run: {runs} between changes.",
        "",
    ]
    tables = [row for row in ws if row["status"] == 0]
    if tables:
        lines += tables[0]["table"][:2]
        lines += [row["table"][2] for row in tables if len(row["table"]) > 2]
    for row in ws:
        if row["status"] != 0:
            lines.append(f"\n--clients {row['clients']}: failed: `{row['error'][-300:]}`")
    return lines


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        f"Run {results['started']} - {results['finished']} on {m['cores']} cores "
        f"({m['cpu']}), {m['memory_gb']} GB, Linux {m['kernel']}, Python {m['python']}, "
        f"PostgreSQL {m['postgres']}, Redis {m['redis']}, wrk {m['wrk']}; "
        f"{results['settings']['seconds']} s per point. At the start: `{m['uptime_at_start']}`.",
        "",
        "Columns: p50 and p95 latency in ms and answers per second at c connections; daphne "
        "CPU ms/req is daphne's CPU time over the requests sent at the highest c; load avg is "
        "the 1-minute load average around each point. ⏹: the point stopped early because "
        "every queued entry had been cancelled once (req/s counts the time it ran). ⚠: some "
        "answers had another status than expected (see bench/results.json).",
        "",
    ]
    for size, outcome in results["sizes"].items():
        out += [
            f"#### {size}: Q = {outcome['queued']:,} queued, H = {outcome['completed']:,} finished",
            "",
            f"Rows: {outcome['rows']}; setup {outcome['setup_seconds']:.0f} s.",
            "",
            "One daphne process:",
            "",
            *_endpoint_table(outcome["one"], outcome["queries"]),
            "",
        ]
        paced = outcome.get("paced", {}).get("submit")
        if paced:
            p = paced[0]
            out += [
                f"Submit with {p['clients']} clients that pause 0-2 s (1 s on average) before "
                f"each submit: p50 {_ms(p['p50_ms'])} ms, p95 {_ms(p['p95_ms'])} ms, "
                f"{p['rps']:.1f} req/s, daphne CPU {p['cpu_ms_per_request']:.1f} ms/req.",
                "",
            ]
        two = outcome.get("two")
        if isinstance(two, dict):
            out += ["Two daphne processes behind nginx:", "", *_endpoint_table(two, {}), ""]
        elif two:
            out += [f"Two daphne processes: {two}", ""]
    floor, floor_verdicts = _floor_lines(results)
    growth, growth_verdicts = _growth_lines(results)
    verdicts = growth_verdicts + _submit_verdicts(results) + floor_verdicts
    out += ["#### Board against the floor", "", *floor, "", "#### Cost growth", "", *growth, ""]
    out += ["#### Targets (automatic verdicts of this run)", "", "| target | this run | |",
            "|---|---|---|"]  # fmt: skip
    marks = {True: "met", False: "**missed**", None: ""}
    out += [f"| {name} | {value} | {marks[ok]} |" for name, ok, value in verdicts]
    out += ["", *_ws_lines(results["ws"]), ""]
    return "\n".join(out)


def write_doc(path: Path, generated: str) -> None:
    """Replace the generated part of ``path`` (or append it), keeping everything else."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{generated}\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n## HTTP pages and actions (bench/run.py)\n\n" + block + "\n"
    path.write_text(text)
