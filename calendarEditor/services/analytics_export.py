"""The usage report as CSV tables and as the data the page's charts draw (no queries)."""

import csv
import io
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from calendarEditor.services.analytics import MachineWeek, Report, Usage

TABLES = ("weeks", "members", "departments")


def csv_text(report: Report, table: str) -> str:
    """One table of the report as CSV; cells a spreadsheet would run as formulas are defused."""
    header, rows = _TABLES[table](report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return buffer.getvalue()


def chart_data(report: Report) -> dict[str, Any]:
    """Utilization per machine and week, and hours per member and department."""
    labels = [period.label for period in report.periods]
    by_machine: dict[str, list[float | None]] = {}
    for week in report.weeks:
        by_machine.setdefault(week.machine, []).append(_percent(week.utilization))
    return {
        "weeks": labels,
        "utilization": [
            {"machine": name, "percent": values} for name, values in by_machine.items()
        ],
        "members": [{"name": u.name, "hours": round(u.hours, 1)} for u in report.members],
        "departments": [{"name": u.name, "hours": round(u.hours, 1)} for u in report.departments],
    }


def _weeks(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = [
        "machine",
        "week",
        "from",
        "to",
        "available_hours",
        "down_hours",
        "running_hours",
        "utilization_percent",
        "completed_runs",
        "started_runs",
        "median_wait_hours",
        "p90_wait_hours",
        "downtime_from_status_log",
    ]
    return header, [_week_row(week) for week in report.weeks]


def _week_row(week: MachineWeek) -> list[Any]:
    return [
        week.machine,
        week.period.label,
        timezone.localtime(week.period.start).isoformat(),
        timezone.localtime(week.period.end).isoformat(),
        _round(week.available_hours),
        _round(week.down_hours),
        _round(week.running_hours),
        _percent(week.utilization),
        week.completed_runs,
        week.started_runs,
        _round(week.median_wait_hours),
        _round(week.p90_wait_hours),
        "yes" if week.downtime_known else "no",
    ]


def _members(report: Report) -> tuple[list[str], list[list[Any]]]:
    return ["member", "department", "running_hours", "runs_started"], _usage_rows(report.members)


def _departments(report: Report) -> tuple[list[str], list[list[Any]]]:
    rows = [[u.name, _round(u.hours), u.runs] for u in report.departments]
    return ["department", "running_hours", "runs_started"], rows


def _usage_rows(usages: list[Usage]) -> list[list[Any]]:
    return [[u.name, u.department, _round(u.hours), u.runs] for u in usages]


_TABLES: dict[str, Callable[[Report], tuple[list[str], list[list[Any]]]]] = {
    "weeks": _weeks,
    "members": _members,
    "departments": _departments,
}


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 2)


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 1)


def _cell(value: Any) -> Any:
    # A cell starting with one of these runs as a formula when the CSV is opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
