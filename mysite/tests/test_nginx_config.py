"""deploy/nginx/labqueue.conf passes `nginx -t` and does what docs/deploy.md says.

The config is copied to a temporary directory with its server paths (TLS
certificate, static files, logs) pointed there and a self-signed certificate
made with openssl. Without nginx the tests skip with the reason; CI
(REQUIRE_SERVICES=1) installs nginx, so there they run.
"""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from mysite.testing import unavailable

DEPLOY = Path(settings.BASE_DIR) / "deploy"
CONFIG = DEPLOY / "nginx" / "labqueue.conf"
HOST = "queue.example.org"
HASHED_CSS = "css/site.0123456789ab.css"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        unavailable("needs nginx (apt-get install -y nginx)")
    if shutil.which("openssl") is None:
        unavailable("needs openssl to make a test certificate")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_config(tmp: Path, http_port: int = 80, https_port: int = 443, upstream: int = 0) -> str:
    """The real config with server paths moved into ``tmp`` (and ports, for a live run)."""
    text = CONFIG.read_text()
    text = text.replace(f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(tmp / "cert.pem"))
    text = text.replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(tmp / "key.pem"))
    text = text.replace("/srv/labqueue/staticfiles/", f"{tmp}/static/")
    text = text.replace("/var/log/nginx/", f"{tmp}/logs/")
    if upstream:
        text = re.sub(r"listen \[::\]:\d+[^;]*;\n", "", text)
        text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
        text = re.sub(r"server 127\.0\.0\.1:800[12]", f"server 127.0.0.1:{upstream}", text)
    directives = re.sub(r"#.*", "", text)
    leftovers = re.findall(r"(?<![\w.])/(?:etc|var|srv|usr)/\S+", directives)
    assert leftovers == [], f"paths the test did not move: {leftovers}"
    return text


def prepare(tmp: Path, **ports: int) -> Path:
    for directory in ("logs", "static/css", "temp"):
        (tmp / directory).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-subj", f"/CN={HOST}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (tmp / "labqueue.conf").write_text(site_config(tmp, **ports))
    temp_paths = "".join(
        f"    {kind}_temp_path {tmp}/temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    runs_as_root = "user root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"{runs_as_root}pid {tmp}/nginx.pid;\nerror_log {tmp}/logs/error.log;\n"
        f"worker_processes 1;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    default_type application/octet-stream;\n    access_log off;\n"
        f"{temp_paths}    include {tmp}/labqueue.conf;\n}}\n"
    )
    return tmp / "nginx.conf"


def nginx_command(binary: str, conf: Path) -> list[str]:
    tmp = conf.parent
    return [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "logs" / "error.log")]


def test_the_config_passes_nginx_t(tmp_path):
    binary = nginx_binary()

    result = subprocess.run(
        [*nginx_command(binary, prepare(tmp_path)), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_upstream_lists_the_ports_the_systemd_target_starts():
    config = CONFIG.read_text()
    target = (DEPLOY / "systemd" / "labqueue.target").read_text()
    upstream = set(re.findall(r"server 127\.0\.0\.1:(\d+)", config))

    assert upstream == {"8001", "8002"}
    [wants] = re.findall(r"^Wants=(.*)$", target, flags=re.MULTILINE)
    assert set(re.findall(r"labqueue-web@(\d+)\.service", wants)) == upstream
    assert "client_max_body_size 51m;" in config


# --- a live nginx in front of a recording upstream --------------------------------------


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Recorder.seen.append({"path": self.path, **dict(self.headers.items())})
        body = b"from upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def live_nginx(tmp_path) -> Iterator[dict[str, int]]:
    binary = nginx_binary()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ports = {"http_port": free_port(), "https_port": free_port()}
    conf = prepare(tmp_path, upstream=upstream.server_address[1], **ports)
    (tmp_path / "static" / HASHED_CSS).write_text("body{}")
    (tmp_path / "static" / "css" / "site.css").write_text("body{}")
    server = subprocess.Popen([*nginx_command(binary, conf), "-g", "daemon off;"])
    try:
        wait_for(ports["https_port"])
        Recorder.seen.clear()
        yield ports
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}")


def https(ports: dict[str, int], method: str, path: str, headers: dict | None = None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", ports["https_port"], context=context)
    connection.request(method, path, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_plain_http_is_redirected_to_https(live_nginx):
    connection = http.client.HTTPConnection("127.0.0.1", live_nginx["http_port"])
    connection.request("GET", "/schedule/?x=1", headers={"Host": HOST})
    response = connection.getresponse()

    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/schedule/?x=1"


def test_pages_reach_daphne_with_the_proxy_headers(live_nginx):
    response = https(live_nginx, "GET", "/schedule/", {"X-Request-ID": "forged-by-client"})

    assert response.status == 200
    [seen] = Recorder.seen
    assert seen["Host"] == HOST
    assert seen["X-Forwarded-Proto"] == "https"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["X-Request-ID"])  # nginx's own, not the client's
    assert "Upgrade" not in seen


def test_websockets_are_upgraded(live_nginx):
    https(live_nginx, "GET", "/ws/live/", {"Upgrade": "websocket", "Connection": "Upgrade"})

    [seen] = Recorder.seen
    assert seen["path"] == "/ws/live/"
    assert seen["Upgrade"] == "websocket"
    assert seen["Connection"].lower() == "upgrade"


def test_hashed_static_files_are_cached_for_a_year_and_others_briefly(live_nginx):
    hashed = https(live_nginx, "GET", f"/static/{HASHED_CSS}")
    plain = https(live_nginx, "GET", "/static/css/site.css")

    assert hashed.status == 200
    assert "immutable" in hashed.getheader("Cache-Control")
    assert plain.status == 200
    assert plain.getheader("Cache-Control") == "max-age=3600"
    assert Recorder.seen == []  # served from disk, never by Python


def test_a_body_over_the_upload_cap_is_refused_before_python(live_nginx):
    response = https(
        live_nginx,
        "POST",
        "/schedule/archives/new/",
        {"Content-Length": str(52 * 1024 * 1024), "Content-Type": "application/octet-stream"},
    )

    assert response.status == 413
    assert Recorder.seen == []
