"""Which machines can take a job, and why the others cannot (DESIGN §3).

Pure: imports no Django. Callers turn rows into ``Requirements`` and ``MachineSpec`` values;
every rule here reads capabilities as data and none is keyed on a machine's name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

FIELD_DIRECTIONS = ("none", "parallel", "perpendicular", "both")
AXES = ("x", "y", "z")

# Statuses in which a machine takes no new entries whatever its queue switch says, each with
# the reason shown to members.
_STATUS_REASONS = {"maintenance": "in maintenance", "offline": "offline"}
UNAVAILABLE_STATUSES = frozenset(_STATUS_REASONS)

TRAINING_REQUIRED = "training required"

# Sorts machines without an estimate behind every real one, and compares with aware datetimes.
_NO_ESTIMATE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Requirements:
    """The experimental needs of one job; defaults ask for nothing."""

    min_temp: float | None = None  # K; the lowest temperature the experiment needs
    max_temp: float | None = None  # K
    field_x: float = 0.0  # T
    field_y: float = 0.0  # T
    field_z: float = 0.0  # T
    field_direction: str = "none"
    dc_lines: int = 0
    rf_lines: int = 0
    daughterboard: str = ""  # "" = any
    optical: bool = False
    capabilities: frozenset[str] = frozenset()  # other needs, e.g. {"temperature_dependent"}

    def __post_init__(self) -> None:
        _check_direction(self.field_direction)
        _check_lines(self.dc_lines, self.rf_lines)
        # Lists and sets arrive from JSON fields and forms; freezing keeps the value hashable.
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))


@dataclass(frozen=True)
class MachineSpec:
    """What matching and ranking need to know about one machine."""

    id: int
    name: str
    accepts_entries: bool  # queue open
    status: str
    min_temp: float
    max_temp: float
    field_x: float
    field_y: float
    field_z: float
    field_direction: str
    dc_lines: int
    rf_lines: int
    daughterboards: tuple[str, ...]
    optical: bool
    capabilities: frozenset[str]
    queue_length: int = 0
    # Start of a new entry at the back of this machine's queue, from estimates.
    estimated_start: datetime | None = None
    # Only members trained on it (see ``qualified_machine_ids`` below) may queue here.
    requires_training: bool = False

    def __post_init__(self) -> None:
        _check_direction(self.field_direction)
        _check_lines(self.dc_lines, self.rf_lines)
        if self.queue_length < 0:
            raise ValueError(f"queue_length must be >= 0, got {self.queue_length}")
        if self.estimated_start is not None and self.estimated_start.utcoffset() is None:
            raise ValueError("estimated_start must be a timezone-aware datetime")
        object.__setattr__(self, "daughterboards", tuple(self.daughterboards))
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))


@dataclass(frozen=True)
class MatchResult:
    compatible: tuple[MachineSpec, ...]  # sorted best first
    reasons: dict[str, tuple[str, ...]]  # machine name -> reasons, incompatible machines only

    @property
    def best(self) -> MachineSpec | None:
        return self.compatible[0] if self.compatible else None


def incompatibility_reasons(
    req: Requirements,
    spec: MachineSpec,
    *,
    qualified_machine_ids: Collection[int] | None = None,
) -> list[str]:
    """Every rule the machine fails, in words with units; [] when it can take the job.

    ``qualified_machine_ids`` are the machines the submitting member is trained
    on; None leaves training unchecked (a lab manager's view, or no member yet).
    """
    reasons = [reason for rule in _RULES for reason in rule(req, spec)]
    if not _trained(spec, qualified_machine_ids):
        # After availability, before the physics: access comes first in the list.
        reasons.insert(len(_availability(req, spec)), TRAINING_REQUIRED)
    return reasons


def match(
    req: Requirements,
    specs: Iterable[MachineSpec],
    *,
    qualified_machine_ids: Collection[int] | None = None,
) -> MatchResult:
    """Split machines into compatible ones (best first) and the reasons for the rest."""
    compatible: list[MachineSpec] = []
    reasons: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for spec in specs:
        # Reasons are keyed by name, so a duplicate would silently hide a machine's reasons.
        if spec.name in seen:
            raise ValueError(f"duplicate machine name {spec.name!r}")
        seen.add(spec.name)
        failures = incompatibility_reasons(req, spec, qualified_machine_ids=qualified_machine_ids)
        if failures:
            reasons[spec.name] = tuple(failures)
        else:
            compatible.append(spec)
    return MatchResult(compatible=tuple(sorted(compatible, key=rank_key)), reasons=reasons)


def rank_key(spec: MachineSpec) -> tuple[datetime, int, str]:
    """Soonest free queue first (unknown last), then the shorter queue, then by name."""
    start = spec.estimated_start if spec.estimated_start is not None else _NO_ESTIMATE
    return (start, spec.queue_length, spec.name.casefold())


def direction_supported(required: str, offered: str) -> bool:
    """Whether a magnet offering ``offered`` can apply a field in the ``required`` direction."""
    if required == "none":
        return True
    if required == "both":
        return offered == "both"
    return offered in (required, "both")


def daughterboard_accepted(required: str, accepted: Iterable[str]) -> bool:
    """Whole-name comparison, so "QBoard I" never matches a machine listing "QBoard II"."""
    wanted = _board_key(required)
    return not wanted or any(_board_key(board) == wanted for board in accepted)


def format_number(value: float) -> str:
    """Shortest readable form: 0.3 -> "0.3", 12.0 -> "12", 1e-05 -> "0.00001"."""
    # 12 significant digits hide binary noise such as 0.1 + 0.2 without hiding real values.
    text = f"{value:.12g}"
    if "e" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text


def _trained(spec: MachineSpec, qualified_machine_ids: Collection[int] | None) -> bool:
    if not spec.requires_training or qualified_machine_ids is None:
        return True
    return spec.id in qualified_machine_ids


def _availability(req: Requirements, spec: MachineSpec) -> list[str]:
    reasons = [] if spec.accepts_entries else ["queue closed"]
    if spec.status in _STATUS_REASONS:
        reasons.append(_STATUS_REASONS[spec.status])
    return reasons


def _temperature(req: Requirements, spec: MachineSpec) -> list[str]:
    reasons = []
    if req.min_temp is not None and spec.min_temp > req.min_temp:
        reasons.append(
            f"min temperature {format_number(spec.min_temp)} K"
            f" > required {format_number(req.min_temp)} K"
        )
    if req.max_temp is not None and req.max_temp > spec.max_temp:
        reasons.append(
            f"max temperature {format_number(spec.max_temp)} K"
            f" < required {format_number(req.max_temp)} K"
        )
    return reasons


def _field(req: Requirements, spec: MachineSpec) -> list[str]:
    reasons = []
    for axis in AXES:
        needed, offered = getattr(req, f"field_{axis}"), getattr(spec, f"field_{axis}")
        if needed > offered:
            reasons.append(
                f"field B_{axis} {format_number(offered)} T < required {format_number(needed)} T"
            )
    if not direction_supported(req.field_direction, spec.field_direction):
        reasons.append(
            f"field direction {req.field_direction} not supported (machine: {spec.field_direction})"
        )
    return reasons


def _lines(req: Requirements, spec: MachineSpec) -> list[str]:
    reasons = []
    if req.dc_lines > spec.dc_lines:
        reasons.append(f"DC lines {spec.dc_lines} < required {req.dc_lines}")
    if req.rf_lines > spec.rf_lines:
        reasons.append(f"RF lines {spec.rf_lines} < required {req.rf_lines}")
    return reasons


def _daughterboard(req: Requirements, spec: MachineSpec) -> list[str]:
    if daughterboard_accepted(req.daughterboard, spec.daughterboards):
        return []
    accepts = ", ".join(spec.daughterboards) or "none"
    return [f"daughterboard {req.daughterboard.strip()} not accepted (accepts: {accepts})"]


def _capabilities(req: Requirements, spec: MachineSpec) -> list[str]:
    reasons = [] if not req.optical or spec.optical else ["no optical access"]
    # Sorted so the same request always reads the same way.
    missing = sorted(req.capabilities - spec.capabilities)
    return reasons + [f"missing capability: {name}" for name in missing]


_RULES: tuple[Callable[[Requirements, MachineSpec], list[str]], ...] = (
    _availability,
    _temperature,
    _field,
    _lines,
    _daughterboard,
    _capabilities,
)


def _board_key(name: str) -> str:
    return name.strip().casefold()


def _check_direction(direction: str) -> None:
    if direction not in FIELD_DIRECTIONS:
        raise ValueError(
            f"unknown field direction {direction!r}; expected one of {FIELD_DIRECTIONS}"
        )


def _check_lines(dc_lines: int, rf_lines: int) -> None:
    if dc_lines < 0 or rf_lines < 0:
        raise ValueError(f"line counts must be >= 0, got DC {dc_lines}, RF {rf_lines}")
