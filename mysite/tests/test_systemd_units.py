"""deploy/systemd/: units that systemd accepts and that run what the project provides."""

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

UNITS = Path(settings.BASE_DIR) / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keep systemd's capitalised keys
    parser.read(UNITS / name)
    return parser


def test_systemd_accepts_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    for path in UNITS.iterdir():
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(UNITS / "labqueue-web@.service", tmp_path / "labqueue-web@8001.service")
    names = ["labqueue-web@8001.service", "labqueue-worker.service", "labqueue.target"]

    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # This machine has no /srv/labqueue; anything else systemd says is a mistake in a unit.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable: No such file or directory" not in line
    ]
    assert problems == []


def test_web_processes_serve_the_asgi_app_on_their_port_behind_the_proxy():
    service = unit("labqueue-web@.service")["Service"]

    assert service["ExecStart"].split()[1:] == [
        "--proxy-headers", "-b", "127.0.0.1", "-p", "%i", "mysite.asgi:application",
    ]  # fmt: skip
    assert service["EnvironmentFile"] == "/etc/labqueue/env"
    assert service["User"] == "labqueue"


def test_the_worker_runs_the_due_work_loop():
    command = unit("labqueue-worker.service")["Service"]["ExecStart"].split()

    assert command[1:] == ["manage.py", "run_due_work", "--loop", "--interval", "60"]
    app = get_commands().get("run_due_work")
    if app is None:
        pytest.skip("run_due_work arrives with the [due] issue")
    parser = load_command_class(app, "run_due_work").create_parser("manage.py", "run_due_work")
    options = parser.parse_args(command[3:])
    assert options.loop is True
    assert int(options.interval) == 60
