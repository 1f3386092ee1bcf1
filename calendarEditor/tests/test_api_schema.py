"""The OpenAPI schema, the docs page, and a schemathesis run over every operation.

The run loads the schema from the Django app through WSGI
(schemathesis.openapi.from_wsgi) and calls every operation, as an approved
member with a valid token, with cases generated from the schema: up to
MAX_EXAMPLES schema-conforming (positive) and as many schema-violating
(negative) cases each, plus positive cases aimed at fresh entries and a
notification of that member (ON DECK on a free machine, #2 behind another
member, running) and a valid job, so the happy paths run too.

No response may be a server error. The other checks that hold for this API
run as well: documented status codes, content types and headers, response
bodies matching their schemas, negative data rejected, and auth enforced.
Not "positive data accepted": a schema-valid job can still fail the submit
form's checks that no static schema can state (the fleet's daughterboards
and capabilities, the lab's longest run), which correctly answer 422.
"""

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calendarEditor.models import Notification
from calendarEditor.services import queue
from calendarEditor.tests.api_support import URLCONF, token_for
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

OPERATIONS = {
    "GET /api/me",
    "GET /api/machines",
    "GET /api/machines/{machine_id}",
    "GET /api/entries",
    "POST /api/entries",
    "GET /api/entries/{entry_id}",
    "POST /api/entries/{entry_id}/cancel",
    "POST /api/entries/{entry_id}/check-in",
    "POST /api/entries/{entry_id}/check-out",
    "POST /api/entries/{entry_id}/rush",
    "GET /api/notifications",
    "POST /api/notifications/read-all",
    "POST /api/notifications/{notification_id}/read",
}
MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
VALID_JOB = {"title": "Sweep", "estimated_hours": 4, "required_min_temp": 1.8}
CASES_RUN: Counter[str] = Counter()  # printed with -s, for the record of what ran
STATUSES: Counter[tuple[str, int]] = Counter()


def test_the_schema_lists_every_operation_with_bearer_auth(client):
    schema = client.get("/api/openapi.json").json()
    found = {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}
    assert found == OPERATIONS
    assert schema["components"]["securitySchemes"] == {
        "ApiTokenAuth": {"type": "http", "scheme": "bearer"}
    }
    submit = schema["paths"]["/api/entries"]["post"]
    assert set(submit["responses"]) == {"201", "400", "401", "403", "409", "422"}


def test_the_docs_page_loads_only_local_assets(client):
    response = client.get("/api/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "cdn" not in html.lower()
    assert "https://" not in html
    assert "http://" not in html
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css"):
        assert f"/static/{asset}" in html
        assert (Path(django_settings.BASE_DIR) / "static" / asset).is_file()
    assert '"url": "/api/openapi.json"' in html


@pytest.fixture
def keep_the_test_connection():
    """Calls through a real WSGI handler end with request_finished, which closes the
    database connection; inside the test's transaction that loses it (on PostgreSQL).
    Django's test client unhooks the same receivers for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(settings, keep_the_test_connection):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # Fair use is not under test here; the run submits many jobs as one member.
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 0
    return schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())


@pytest.fixture
def fresh_ids(alice, bob, sam, make_machine):
    """Real ids for one operation's positive cases, made anew so each operation gets its own."""
    made = Counter()

    def make(name):
        made[name] += 1
        if name == "notification_id":
            return [Notification.objects.create(recipient=alice, kind="k", group="queue").pk]
        spare, busy, running = (make_machine(f"{kind} {made[name]} {name}") for kind in "SBR")
        if name == "machine_id":
            return [spare.pk, busy.pk]
        on_deck = queue.enqueue(entry_request("On deck"), member=alice, by=sam, machine=spare)
        queue.enqueue(entry_request("Bob's"), member=bob, by=sam, machine=busy)
        second = queue.enqueue(entry_request("Second"), member=alice, by=sam, machine=busy)
        run = queue.enqueue(entry_request("Running"), member=alice, by=sam, machine=running)
        queue.start(run.entry, by=sam)
        return [on_deck.entry.pk, second.entry.pk, run.entry.pk]

    return make


def test_no_operation_answers_with_a_server_error(api_schema, alice, hidalgo, fresh_ids):
    headers = {"Authorization": f"Bearer {token_for(alice)}"}
    labels = set()
    for result in api_schema.get_all_operations():
        operation = result.ok()
        labels.add(operation.label)
        # An operation without parameters or body has nothing a negative case could break.
        has_input = operation.path_parameters or operation.query or operation.body
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_input else [])
        for mode in modes:
            _run(operation, operation.as_strategy(mode, headers=headers), headers)
        for name in ("entry_id", "machine_id", "notification_id"):
            if "{" + name + "}" in operation.path:
                for pk in fresh_ids(name):
                    aimed = operation.as_strategy(headers=headers, path_parameters={name: pk})
                    _run(operation, aimed, headers)
        if operation.label == "POST /api/entries":
            _run(operation, operation.as_strategy(headers=headers, body=VALID_JOB), headers)
    assert labels == OPERATIONS
    assert all(CASES_RUN[label] > 0 for label in OPERATIONS), CASES_RUN
    print("\nschemathesis cases per operation:", dict(sorted(CASES_RUN.items())))
    print("total:", sum(CASES_RUN.values()))
    print("statuses:", dict(sorted(STATUSES.items())))


def _run(operation, strategy, headers):
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case):
        CASES_RUN[operation.label] += 1
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        STATUSES[(operation.label, response.status_code)] += 1

    call()
