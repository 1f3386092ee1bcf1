"""Real servers for the live-update tests and the fan-out benchmark. Holds no tests.

A ``LiveSite`` is a migrated SQLite file of its own (never pytest-django's
test database) that daphne processes share, with approved members, a staff
member, two machines and ready-made session cookies. ``RedisServer`` runs a
private redis-server on a free port, so a test may stop and restart it
without touching the machine's shared Redis.
"""

import asyncio
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

from mysite.testing import unavailable

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

BASE_DIR = Path(settings.BASE_DIR)
CSRF_TOKEN = "livetestcsrftoken0123456789abcde"  # 32 characters, as Django expects
START_TIMEOUT_SECONDS = 20.0
HINT_TIMEOUT_SECONDS = 5.0
ASGI_APP = "mysite.asgi:application"

SEED = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from calendarEditor.models import Machine

def member(name, staff=False):
    # No password: sessions are made here, and hashing a thousand would be slow.
    user = get_user_model().objects.create_user(
        name, f"{name}@lab.example", None, first_name=name.capitalize(), is_staff=staff)
    user.profile.approval_status = "approved"
    user.profile.save()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "userRegistration.backends.ProfileModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return {"id": user.pk, "session": store.session_key}

spec = dict(min_temp=0.01, max_temp=300, max_field_z=9, field_direction="both", dc_lines=48,
            rf_lines=32, daughterboards=["DIP"], cooldown_hours=12, warmup_hours=3)
people = {name: member(name, staff=(name == "sam")) for name in PEOPLE}
machines = {
    "Hidalgo": Machine.objects.create(name="Hidalgo", **spec).pk,
    "Griffin": Machine.objects.create(name="Griffin", optical_access=True, **spec).pk,
}
print("SEEDED " + json.dumps({"people": people, "machines": machines}))
"""

SUBMIT_FORM = {
    "title": "Live test run",
    "description": "",
    "estimated_duration": "5",
    "duration_unit": "hours",
    "required_min_temp": "1.8",
    "required_max_temp": "",
    "field_x": "0",
    "field_y": "0",
    "field_z": "0",
    "field_direction": "none",
    "dc_lines": "0",
    "rf_lines": "0",
    "daughterboard": "",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up after {timeout:.0f}s waiting for {what}")


class RedisServer:
    """A private redis-server without persistence, so a restart comes back empty."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            unavailable("needs redis-server on PATH (apt-get install redis-server)")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, START_TIMEOUT_SECONDS, f"redis-server on {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Person:
    id: int
    session: str

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session}; csrftoken={CSRF_TOKEN}"


@dataclass
class Daphne:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/live/"

    def post(self, path: str, fields: dict[str, str], person: Person) -> http.client.HTTPResponse:
        """A form POST with the person's session and a valid CSRF token; redirects not followed."""
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": CSRF_TOKEN})
        headers = {
            "Cookie": person.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
        }
        return self.request("POST", path, body, headers)

    def get(self, path: str, person: Person | None = None) -> http.client.HTTPResponse:
        return self.request("GET", path, None, {"Cookie": person.cookie} if person else {})

    def request(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class LiveSite:
    folder: Path
    redis_url: str = ""
    debug: bool = False
    people: dict[str, Person] = field(default_factory=dict)
    machines: dict[str, int] = field(default_factory=dict)
    servers: list[Daphne] = field(default_factory=list)

    @property
    def database(self) -> Path:
        return self.folder / "site.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="mysite.settings",
            DATABASE_URL=f"sqlite:///{self.database}",
            REDIS_URL=self.redis_url,
            SECRET_KEY="live-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DJANGO_DEBUG="true" if self.debug else "false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            SECURE_COOKIES="false",
            BEHIND_TLS_PROXY="false",
            SECURE_HSTS_SECONDS="0",
            STATIC_MANIFEST="false",
            LOGIN_THROTTLING="false",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def create(
        self, template: Path | None = None, people: tuple[str, ...] = ("alice", "bob", "sam")
    ) -> "LiveSite":
        """Copy a migrated database (or migrate one) and seed it."""
        if template is not None:
            shutil.copyfile(template, self.database)
        else:
            self.manage("migrate", "--noinput")
        output = self.manage("shell", "-c", f"PEOPLE = {list(people)!r}\n{SEED}")
        seeded = json.loads(output.split("SEEDED ", 1)[1])
        self.people = {name: Person(**person) for name, person in seeded["people"].items()}
        self.machines = seeded["machines"]
        return self

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def daphne(self, **env: str) -> Daphne:
        port = free_port()
        log = self.folder / f"daphne-{port}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), ASGI_APP],
            cwd=BASE_DIR,
            env=self.env(**env),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        server = Daphne(port, process, log)
        self.servers.append(server)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"daphne exited:\n{log.read_text()[-3000:]}")
            try:
                return server.get("/schedule/health/").status in (200, 503)
            except OSError:
                return False

        wait_until(ready, START_TIMEOUT_SECONDS, f"daphne on {port}")
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


def migrated_template(folder: Path) -> Path:
    """A migrated database in ``folder`` for sites to copy."""
    template = folder / "template.sqlite3"
    if not template.exists():
        site = LiveSite(folder)
        site.manage("migrate", "--noinput")
        shutil.move(site.database, template)
    return template


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database per test session; each test's site copies it."""
    return migrated_template(tmp_path_factory.mktemp("live-template"))


def websockets_or_skip() -> Any:
    """The websockets client package (a dev requirement), or skip/fail saying so."""
    try:
        import websockets.asyncio.client
        import websockets.exceptions
    except ImportError:
        unavailable("needs the websockets package (pip install -r requirements-dev.txt)")
    return websockets


async def open_socket(
    server: Daphne, person: Person, subscribe: list[int] | None = None
) -> "ClientConnection":
    """A member's live socket on ``server``, past its hello (and subscription)."""
    socket = await websockets_or_skip().asyncio.client.connect(
        server.socket_url,
        origin=server.origin,
        additional_headers={"Cookie": person.cookie},
        open_timeout=HINT_TIMEOUT_SECONDS,
    )
    try:
        hello = json.loads(await asyncio.wait_for(socket.recv(), HINT_TIMEOUT_SECONDS))
        assert hello["type"] == "hello", hello
        if subscribe:
            await socket.send(json.dumps({"subscribe": subscribe}))
            reply = json.loads(await asyncio.wait_for(socket.recv(), HINT_TIMEOUT_SECONDS))
            assert reply == {"type": "subscribed", "machines": sorted(subscribe)}, reply
    except BaseException:
        await socket.close()
        raise
    return socket


async def reopen_socket(
    server: Daphne, person: Person, subscribe: list[int], within: float = 30.0
) -> "ClientConnection":
    """As the page does after a drop: try again, with a pause, until the socket says hello."""
    closed = websockets_or_skip().exceptions.ConnectionClosed
    deadline = time.monotonic() + within
    while True:
        try:
            return await open_socket(server, person, subscribe)
        except (closed, OSError, AssertionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def next_of(socket: "ClientConnection", kind: str) -> dict[str, Any]:
    """The next message of ``kind``, skipping others; fails after HINT_TIMEOUT_SECONDS."""
    async with asyncio.timeout(HINT_TIMEOUT_SECONDS):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message
