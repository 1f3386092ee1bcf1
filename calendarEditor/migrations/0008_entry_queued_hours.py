"""An index over the queued entries only: machine, position, estimated hours.

The board, matching on submit and a member's estimated starts count and sum
each machine's queued hours (and the hours ahead of a position). With this
partial index PostgreSQL answers those from the index alone, reading neither
the finished history nor the entries' rows (found by bench/run.py; see
docs/benchmarks.md). The hours are a key column rather than an INCLUDE one so
that SQLite builds the same index.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calendarEditor", "0007_due"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="queueentry",
            index=models.Index(
                fields=["machine", "position", "estimated_hours"],
                condition=models.Q(status="queued"),
                name="entry_queued_hours",
            ),
        ),
    ]
