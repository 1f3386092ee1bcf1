"""What each benchmark sends, and running wrk with it.

A scenario is one endpoint: the requests to cycle through (as different
members, machines and entries), the status a request that did its job
answers, and whether its requests can be repeated (a cancel cannot). wrk
(``apt-get install wrk``) runs in its own process with bench/wrk_plan.lua.
"""

import http.client
import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "wrk_plan.lua"
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 characters, as Django's cookie secret
MEMBERS_USED = 50  # sessions the page scenarios spread over
SUBMIT_FORM = {
    "title": "Bench run",
    "description": "",
    "estimated_duration": "6",
    "duration_unit": "hours",
    "required_min_temp": "2",
    "required_max_temp": "",
    "field_x": "0",
    "field_y": "0",
    "field_z": "0",
    "field_direction": "none",
    "dc_lines": "0",
    "rf_lines": "0",
    "daughterboard": "",
}
Request = tuple[str, str, dict[str, str], str | None]


@dataclass
class Scenario:
    name: str
    label: str
    expect: int
    requests: list[Request] = field(default_factory=list)
    once: bool = False  # each request works once (cancels); stop when all are sent
    gateway: dict[str, Any] | None = None
    writes: bool = False
    think_ms: int | None = None  # mean pause of a connection before each request

    @property
    def is_page(self) -> bool:
        return not self.writes and self.name != "floor"


def _get(path: str, session: str | None) -> Request:
    return ("GET", path, {"Cookie": f"sessionid={session}"} if session else {}, None)


def _post(path: str, session: str, form: dict[str, Any]) -> Request:
    headers = {
        "Cookie": f"sessionid={session}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return ("POST", path, headers, urlencode(form))


def scenarios(plan: dict[str, Any]) -> list[Scenario]:
    members = plan["members"][:MEMBERS_USED]
    machines = [m["id"] for m in plan["machines"]]
    staff = plan["staff"]
    return [
        Scenario("floor", "trivial view (floor)", 200, [_get("/bench/floor/", None)]),
        Scenario("board", "board", 200, [_get("/schedule/", s) for s in members]),
        Scenario(
            "machine",
            "machine page",
            200,
            [
                _get(f"/schedule/machines/{m}/", members[i % len(members)])
                for i, m in enumerate(machines)
            ],
        ),
        Scenario("my_queue", "my queue", 200, [_get("/schedule/my/", s) for s in members]),
        Scenario(
            "staff_queue",
            "staff queue",
            200,
            [_get(f"/schedule/staff/machines/{m}/queue/", staff) for m in machines],
        ),
        Scenario(
            "submit",
            "submit",
            302,
            [
                _post("/schedule/submit/", s, {**SUBMIT_FORM, "title": f"Bench run {i}"})
                for i, s in enumerate(members)
            ],
            writes=True,
        ),
        Scenario(
            "cancel",
            "cancel of #1",
            302,
            [_post(f"/schedule/entries/{pk}/cancel/", s, {}) for pk, s in plan["cancels"]],
            once=True,
            writes=True,
        ),
        Scenario(
            "move",
            "move (staff)",
            302,
            [
                _post(
                    f"/schedule/staff/entries/{pk}/move/",
                    staff,
                    {"direction": "to", "position": to, "reason": "Bench"},
                )
                for pk, to in plan["moves"]
            ],
            writes=True,
        ),
        Scenario(
            "gateway",
            "gateway POST",
            200,
            gateway={
                "path": "/schedule/api/gateway/readings/",
                "headers": {
                    "X-Gateway-Key": plan["gateway_key"],
                    "Content-Type": "application/json",
                },
                "machines": [m["name"] for m in plan["machines"]],
            },
            writes=True,
        ),
    ]


def gateway_body(machines: list[str]) -> str:
    """One batch like the Lua script's, for the counted request."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    readings = [
        {"machine": name, "kelvin": 1.5, "read_at": stamp, "id": secrets.token_hex(16)}
        for name in machines
    ]
    return json.dumps({"gateway_time": stamp, "readings": readings, "unreachable": []})


def count_queries(port: int, scenario: Scenario) -> tuple[int, int]:
    """(status, queries) of the scenario's first request, sent once with X-Bench-Queries."""
    if scenario.gateway:
        gw = scenario.gateway
        method, path, headers, body = (
            "POST",
            gw["path"],
            dict(gw["headers"]),
            gateway_body(gw["machines"]),
        )
    else:
        method, path, headers, body = scenario.requests[0]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={**headers, "X-Bench-Queries": "1"})
        response = conn.getresponse()
        response.read()
        return response.status, int(response.getheader("X-Query-Count", "-1"))
    finally:
        conn.close()


def _lua(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to Lua")


def write_plan(scenario: Scenario, folder: Path) -> Path:
    table: dict[str, Any] = {"once": scenario.once, "think_ms": scenario.think_ms}
    if scenario.gateway:
        table["gateway"] = {**scenario.gateway, "prefix": secrets.token_hex(8)}
    else:
        table["requests"] = [list(r) for r in scenario.requests]
    path = folder / f"plan-{scenario.name}.lua"
    path.write_text("return " + _lua(table) + "\n")
    return path


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, scenario: Scenario, clients: int, seconds: int, folder: Path) -> dict:
    """One measurement point: ``clients`` connections for ``seconds``, one wrk thread."""
    plan = write_plan(scenario, folder)
    command = [
        "wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s",
        "-s", str(SCRIPT), f"http://127.0.0.1:{port}", "--", str(plan),
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("BENCH ") :])
    statuses = {int(k): v for k, v in result.pop("statuses").items()}
    done = statuses.get(scenario.expect, 0)
    # A stopped run's last request is the harmless floor GET, not one of the scenario's.
    spare = result["exhausted"] and scenario.expect != 200
    seconds_used = result["busy_s"] if result["exhausted"] else result["duration_s"]
    result.update(
        clients=clients,
        statuses=statuses,
        ok=done,
        unexpected=result["answered"] - done - (statuses.get(200, 0) if spare else 0),
        rps=done / seconds_used if seconds_used > 0 else 0.0,
    )
    return result
