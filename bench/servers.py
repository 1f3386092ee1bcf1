"""The processes a benchmark run starts and stops: its databases, Redis, daphne, nginx.

Each is started on a free port of 127.0.0.1 and stopped by the process id it
was given; nothing here touches a server it did not start, except the
PostgreSQL server named by BENCH_DATABASE_URL, where it only creates and drops
its own databases.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds:.0f} s")


def stop(process: subprocess.Popen | None, seconds: float = 10) -> None:
    """Stop one process this run started: SIGTERM, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Databases:
    """Creates and drops the run's own databases on an existing PostgreSQL server."""

    server_url: str = os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER_URL)

    def url_for(self, name: str) -> str:
        base = self.server_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def recreate(self, name: str) -> str:
        self.drop(name)
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def version(self) -> str:
        with psycopg.connect(self.server_url) as admin:
            return str(admin.execute("SHOW server_version").fetchone()[0])

    def query(self, name: str, sql: str) -> list[tuple]:
        with psycopg.connect(self.url_for(name)) as conn:
            return conn.execute(sql).fetchall()


@dataclass
class Redis:
    """A private redis-server (no persistence) for the channel layer and the cache."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not on PATH (apt-get install redis-server).")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, self.process, "redis-server")
        return self

    def version(self) -> str:
        out = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, check=True
        )
        return out.stdout.split("v=", 1)[1].split()[0]

    def flush(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "FLUSHALL"], capture_output=True, check=False
        )

    def stop(self) -> None:
        stop(self.process)


@dataclass
class Daphne:
    """One daphne process serving the site with bench.settings."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    _log_file: IO[bytes] | None = None

    def start(self) -> "Daphne":
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "mysite.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.port, self.process, "daphne", seconds=60)
        # The first request imports the URLconf and views; keep that out of any timing.
        urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/floor/", timeout=30).read()
        return self

    def stop(self) -> None:
        stop(self.process)
        if self._log_file:
            self._log_file.close()


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream site {{
        {servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://site;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    """Round-robin over the daphne processes, as a load balancer in front of them would."""

    folder: Path
    backends: list[int]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()

    def start(self) -> "Nginx":
        self.folder.mkdir(parents=True, exist_ok=True)
        servers = "\n        ".join(f"server 127.0.0.1:{port};" for port in self.backends)
        conf = self.folder / "nginx.conf"
        # Started as root, its worker would run as nobody and could not use the run's folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_CONF.format(user=user, folder=self.folder, servers=servers, port=self.port)
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [binary, "-p", str(self.folder), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "nginx")
        return self

    def stop(self) -> None:
        stop(self.process)
