"""Read-only queries behind a machine's page for members: one page of its queue at a time.

A machine's queue can hold hundreds of entries, so the page reads only the
entries it shows. Positions of queued entries are exactly 1..n, so page k is
a position range; the hours queued ahead of it are summed in the database,
and the queue's length and total hours come from an aggregate. The page then
costs the same, in queries and in rows read, whatever the queue length.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Subquery, Sum
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, QueueEntry
from calendarEditor.selectors import expected_end
from calendarEditor.services import equipment_issues, estimates, schedule

DEFAULT_PAGE_SIZE = 25
OWN_ENTRIES_SHOWN = 5  # a member holds a few entries; the line stays short
_QUEUE_ORDER = ("position", "submitted_at", "pk")


def page_size() -> int:
    return max(1, int(getattr(settings, "MACHINE_QUEUE_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def page_number(raw: str | None) -> int:
    """The page asked for in ``?page=``; anything that is not a whole number asks for page 1.

    The page is clamped to the queue's pages later, once its length is known.
    """
    try:
        return int((raw or "").strip())
    except ValueError:  # also a number too long to parse
        return 1


@dataclass(frozen=True)
class QueuePager:
    """Page ``number`` (1-based) of a queue of ``count`` entries, ``size`` to a page."""

    number: int
    size: int
    count: int

    @classmethod
    def clamped(cls, requested: int, size: int, count: int) -> "QueuePager":
        pages = cls(number=1, size=size, count=count).num_pages
        return cls(number=min(max(requested, 1), pages), size=size, count=count)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def first_position(self) -> int:
        return (self.number - 1) * self.size + 1

    @property
    def last_position(self) -> int:
        return min(self.count, self.number * self.size)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous_number(self) -> int:
        return max(1, self.number - 1)

    @property
    def next_number(self) -> int:
        return min(self.num_pages, self.number + 1)

    def page_of(self, position: int) -> int:
        return (max(position, 1) - 1) // self.size + 1


@dataclass(frozen=True)
class OwnEntryElsewhere:
    """One of the viewer's queued entries that sits on another page."""

    entry: QueueEntry
    page: int


@dataclass(frozen=True)
class MachineQueuePage:
    """A machine's running entry, its queue's totals, and one page of the queue."""

    machine: Machine
    running: QueueEntry | None
    placed: list[schedule.PlacedEntry]  # this page's entries with their estimated starts
    queue_length: int
    queued_hours: float
    back_of_queue_start: datetime  # when a new entry would start: the whole queue counts
    pager: QueuePager
    own_elsewhere: list[OwnEntryElsewhere]  # the viewer's entries on other pages, nearest first

    @property
    def running_ends_at(self) -> datetime | None:
        return expected_end(self.running) if self.running else None


def machine_queue_page(
    pk: int, viewer: AbstractBaseUser, page: int = 1, now: datetime | None = None
) -> MachineQueuePage | None:
    """Page ``page`` (clamped) of machine ``pk``'s queue for ``viewer``; None: no such machine.

    Four queries whatever the queue length (two for an empty queue): the
    machine with its queue's count and hours, its running entry, the page's
    entries with the hours queued ahead of them, and the viewer's own entries
    on other pages.
    """
    now = now or timezone.now()
    found = schedule.summarize_machines([Machine(pk=pk)], now=now)
    if not found:
        return None
    summary = found[0]
    pager = QueuePager.clamped(page, page_size(), summary.queue_length)
    return MachineQueuePage(
        machine=summary.machine,
        running=summary.running,
        placed=placed_page(summary, pager, now),
        queue_length=summary.queue_length,
        queued_hours=summary.queued_hours,
        back_of_queue_start=summary.back_of_queue_start,
        pager=pager,
        own_elsewhere=_own_elsewhere(summary.machine, viewer, pager),
    )


def machine_page_context(view: MachineQueuePage) -> dict[str, object]:
    """The page's queue view and the machine's open "down" issue, if any (1 more query)."""
    attention = equipment_issues.attention_by_machine([view.machine.pk]).get(view.machine.pk)
    return {"view": view, "attention": attention}


def placed_page(
    summary: schedule.MachineSummary,
    pager: QueuePager,
    now: datetime,
    *,
    with_members: bool = False,
) -> list[schedule.PlacedEntry]:
    """The page's entries with estimated starts, in one query.

    The hours ahead of the page come along as a scalar subquery that does not
    depend on the row, so the database sums them once, not once per row.
    """
    if pager.count == 0:
        return []
    queued = QueueEntry.objects.filter(machine_id=summary.machine.pk, status=EntryStatus.QUEUED)
    ahead = (
        queued.filter(position__lt=pager.first_position)
        .order_by()
        .values("machine")
        .annotate(hours=Sum("estimated_hours"))
        .values("hours")
    )
    page = (
        queued.filter(position__range=(pager.first_position, pager.last_position))
        .annotate(hours_ahead=Subquery(ahead))
        .order_by(*_QUEUE_ORDER)
    )
    rows = list(page.select_related("member") if with_members else page)
    if not rows:
        return []
    starts = estimates.estimated_starts(
        schedule.timing_for(summary.machine, summary.running),
        [entry.estimated_hours for entry in rows],
        now,
        ahead_count=pager.first_position - 1,
        ahead_hours=rows[0].hours_ahead or 0.0,
    )
    return [schedule.PlacedEntry(e, start) for e, start in zip(rows, starts, strict=True)]


def _own_elsewhere(
    machine: Machine, viewer: AbstractBaseUser, pager: QueuePager
) -> list[OwnEntryElsewhere]:
    """The viewer's queued entries on other pages than this one (one small query)."""
    if pager.count == 0:
        return []
    mine = (
        QueueEntry.objects.filter(machine_id=machine.pk, status=EntryStatus.QUEUED, member=viewer)
        .exclude(position__range=(pager.first_position, pager.last_position))
        .order_by(*_QUEUE_ORDER)[:OWN_ENTRIES_SHOWN]
    )
    return [OwnEntryElsewhere(entry, pager.page_of(entry.position or 1)) for entry in mine]
