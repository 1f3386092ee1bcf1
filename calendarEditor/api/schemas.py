"""The API's request and response shapes; the OpenAPI schema is generated from these."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from calendarEditor.forms.submit import MAX_FIELD_TESLA, MAX_LINES
from calendarEditor.models import EntryStatus, FieldDirection, MachineStatus, RushStatus

EntryStatusName = Literal[tuple(EntryStatus.values)]  # type: ignore[valid-type]
MachineStatusName = Literal[tuple(MachineStatus.values)]  # type: ignore[valid-type]
RushStatusName = Literal[tuple(RushStatus.values)]  # type: ignore[valid-type]
Direction = Literal[tuple(FieldDirection.values)]  # type: ignore[valid-type]
# Ids in paths stop here: larger Python ints overflow the databases' 64-bit integers.
MAX_ID = 2**63 - 1


class Error(Schema):
    detail: str = Field(examples=["That entry is already cancelled."])


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrors(Schema):
    detail: list[FieldError]


class NoMatch(Schema):
    detail: str = Field(examples=["No machine meets these requirements."])
    reasons: dict[str, list[str]] = Field(
        description="For every machine, why it cannot take the entry.",
        examples=[{"Griffin": ["min temperature 1.8 K > required 0.3 K"]}],
    )


class Temperature(Schema):
    kelvin: float | None = Field(description="Null when there is no recent reading.")
    read_at: datetime | None
    stale: bool


class Running(Schema):
    """The run in progress on a machine, as the caller may see it."""

    entry_id: int | None = Field(description="Null when the caller may not see the entry.")
    title: str
    member_name: str
    mine: bool
    started_at: datetime | None
    expected_end: datetime | None


class Machine(Schema):
    id: int
    name: str
    location: str
    status: MachineStatusName
    status_label: str
    accepts_entries: bool = Field(description="The queue is open (it may still be in service).")
    is_available: bool = Field(description="Open and in service: new entries can join.")
    queue_length: int
    queued_hours: float
    free_at: datetime = Field(description="When it could begin a new run if its queue were empty.")
    next_entry_start: datetime = Field(description="Estimated start of a new entry at the back.")
    temperature: Temperature
    running: Running | None


class MachineSpec(Schema):
    min_temp: float
    max_temp: float
    max_field_x: float
    max_field_y: float
    max_field_z: float
    field_direction: Direction
    dc_lines: int
    rf_lines: int
    daughterboards: list[str]
    optical_access: bool
    capabilities: list[str]
    cooldown_hours: float
    warmup_hours: float


class QueuedItem(Schema):
    """One place in a machine's queue; another member's details follow QUEUE_PRIVACY."""

    position: int
    entry_id: int | None = Field(description="Null when the caller may not see the entry.")
    title: str
    member_name: str
    mine: bool
    visible: bool = Field(description="False: title and member were replaced for privacy.")
    estimated_hours: float
    estimated_start: datetime
    rush_status: RushStatusName


class MachineDetail(Machine):
    description: str
    spec: MachineSpec
    queue: list[QueuedItem]


class RequirementsIn(Schema):
    required_min_temp: float = Field(ge=0, description="The coldest the sample must get (K).")
    required_max_temp: float | None = Field(
        None, ge=0, description="Top of a temperature sweep (K); null if none."
    )
    field_x: float = Field(0, ge=0, le=MAX_FIELD_TESLA)
    field_y: float = Field(0, ge=0, le=MAX_FIELD_TESLA)
    field_z: float = Field(0, ge=0, le=MAX_FIELD_TESLA)
    field_direction: Direction = FieldDirection.NONE.value
    dc_lines: int = Field(0, ge=0, le=MAX_LINES)
    rf_lines: int = Field(0, ge=0, le=MAX_LINES)
    daughterboard: str = Field("", max_length=100, description="Empty for any.")
    optical: bool = False
    capabilities: list[str] = Field(default_factory=list, max_length=50)


class SubmitIn(RequirementsIn):
    """A job; matching picks the machine, exactly as on the submit page."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    estimated_hours: float = Field(gt=0, description="How long the run lasts once started.")


class Requirements(Schema):
    """What an entry needs, as stored (a staff edit may exceed the submit form's bounds)."""

    required_min_temp: float | None
    required_max_temp: float | None
    field_x: float
    field_y: float
    field_z: float
    field_direction: Direction
    dc_lines: int
    rf_lines: int
    daughterboard: str
    optical: bool
    capabilities: list[str]


class Entry(Schema):
    """One of the caller's own entries (or any entry, for staff), in full."""

    id: int
    title: str
    description: str
    status: EntryStatusName
    machine_id: int | None
    machine_name: str
    position: int | None = Field(description="1 is ON DECK; null unless queued.")
    on_deck: bool
    estimated_hours: float
    estimated_start: datetime | None = Field(description="Set while the entry waits.")
    expected_end: datetime | None = Field(description="Set while the entry runs.")
    submitted_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    rush_status: RushStatusName
    rush_justification: str
    rush_review_note: str
    requirements: Requirements


class EntryPage(Schema):
    items: list[Entry]
    count: int
    limit: int
    offset: int


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class RushIn(Schema):
    justification: str = Field(min_length=1, max_length=2000)


class Notification(Schema):
    id: int
    kind: str
    group: str
    title: str
    message: str
    link: str
    entry_id: int | None
    machine_id: int | None
    created_at: datetime
    read_at: datetime | None
    unread: bool
    current: bool = Field(description="False when a later change made this notice stale.")


class NotificationPage(Schema):
    items: list[Notification]
    count: int
    unread_count: int
    limit: int
    offset: int


class MarkedRead(Schema):
    marked: int


class Me(Schema):
    id: int
    username: str
    full_name: str
    is_staff: bool
    unread_notifications: int


def with_auth_errors(
    responses: dict[int, object], *, has_input: bool = True, has_body: bool = False
) -> dict[int, object]:
    """``responses`` plus what an operation may answer before it runs.

    401 and 403 come from authentication; 422 from parameters or a body that
    do not fit the schema (unless ``responses`` describes its own 422); 400
    from a body that is not JSON at all.
    """
    invalid: dict[int, object] = {422: ValidationErrors} if has_input else {}
    if has_body:
        invalid[400] = Error
    return {**invalid, **responses, 401: Error, 403: Error}
