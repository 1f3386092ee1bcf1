"""Fixtures and helpers shared by the archive page tests (a plugin of the root conftest)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from calendarEditor.services import archives, queue, uploads
from conftest import entry_request

CSV = b"t_K,R_ohm\n0.3,12.5\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    return tmp_path


def finish(member):
    entry = queue.enqueue(entry_request("Hall sweep"), member=member, by=member).entry
    queue.start(entry, by=member)
    return queue.complete(entry, by=member).entry


@pytest.fixture
def finished(alice, hidalgo):
    return finish(alice)


@pytest.fixture
def archive(alice, finished):
    files = uploads.check_files(
        [SimpleUploadedFile("r.csv", CSV), SimpleUploadedFile("p.png", PNG)]
    )
    now = timezone.now()
    values = {
        "title": "Hall sweep B12",
        "notes": "",
        "measurement_start": now - timedelta(hours=10),
        "measurement_end": now,
        "actual_hours": None,
    }
    return archives.create_archive(finished, values, files, by=alice)


def form(**overrides):
    return {
        "title": "Hall sweep B12",
        "notes": "Clean below 2 K",
        "measurement_start": "2026-03-01T09:00",
        "measurement_end": "2026-03-01T19:30",
        "actual_hours": "",
        "preset": "",
        **overrides,
    }


def url(name, *args):
    return reverse(name, args=args or None)
