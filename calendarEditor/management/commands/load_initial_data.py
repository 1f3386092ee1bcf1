"""Load the lab's default machines from initial_data.json, keyed by name.

The file is a plain list of machine dicts, not a Django fixture with primary
keys, so running this on every deploy is safe: a machine already present is
left as the lab managers edited it unless ``--update`` is given. Each entry is
checked by the same form lab managers use, and every entry is checked before
any is saved, so a bad file changes nothing.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from calendarEditor.forms.staff import MachineForm
from calendarEditor.models import Machine
from calendarEditor.services import audit
from calendarEditor.services.machines import EDITABLE_FIELDS

LIST_FIELDS = ("daughterboards", "capabilities")


class Command(BaseCommand):
    help = "Create the default machines from initial_data.json (idempotent; --update overwrites)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=Path(settings.BASE_DIR) / "initial_data.json",
            help="The JSON list of machines (default: initial_data.json in the project).",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite the specs of machines that already exist with the file's values.",
        )

    def handle(self, *args: Any, file: Path, update: bool, **options: Any) -> None:
        forms = validated_forms(read_entries(file), file.name)
        created, updated, untouched = [], [], []
        with transaction.atomic():
            for form in forms:
                name = form.cleaned_data["name"]
                changed = form.changed_fields() if update and form.instance.pk else []
                if form.instance.pk is None:
                    save(form, "machine.created", f"Machine {name} added from {file.name}")
                    created.append(name)
                elif changed:
                    fields = ", ".join(changed)
                    save(form, "machine.edited", f"{name} updated from {file.name}: {fields}")
                    updated.append(f"{name} ({fields})")
                else:
                    untouched.append(name)
        self.stdout.write(f"Machines from {file.name}:")
        self.stdout.write(self.style.SUCCESS(f"  created: {len(created)}{_names(created)}"))
        if update:
            self.stdout.write(self.style.SUCCESS(f"  updated: {len(updated)}{_names(updated)}"))
            self.stdout.write(f"  unchanged: {len(untouched)}{_names(untouched)}")
        else:
            kept = f"{len(untouched)}{_names(untouched)}"
            self.stdout.write(f"  already present, left as they are (--update overwrites): {kept}")


def read_entries(path: Path) -> list[dict[str, Any]]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"{path.name} is not valid JSON: {error}.") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CommandError(f"{path.name} must hold a JSON list of machines (objects with a name).")
    names = [entry.get("name") for entry in entries]
    duplicates = sorted({str(n) for n in names if n is not None and names.count(n) > 1})
    if duplicates:
        raise CommandError(f"{path.name} names a machine more than once: {', '.join(duplicates)}.")
    return entries


def validated_forms(entries: list[dict[str, Any]], source: str) -> list[MachineForm]:
    """Every entry checked before anything is saved; all problems reported at once."""
    forms, problems = [], []
    for index, entry in enumerate(entries, 1):
        try:
            forms.append(bound_form(index, entry, source))
        except CommandError as error:
            problems.append(f"  {error}")
    if problems:
        raise CommandError(f"{source} has errors; nothing was saved.\n" + "\n".join(problems))
    return forms


def bound_form(index: int, entry: dict[str, Any], source: str) -> MachineForm:
    """A validated MachineForm for one entry, or a CommandError naming what is wrong."""
    label = f"{source} entry {index} ({entry.get('name') or 'no name'})"
    unknown = sorted(set(entry) - set(EDITABLE_FIELDS))
    if unknown:
        allowed = ", ".join(EDITABLE_FIELDS)
        raise CommandError(f"{label}: unknown field(s) {', '.join(unknown)}; allowed: {allowed}.")
    for field in LIST_FIELDS:
        value = entry.get(field, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise CommandError(f"{label}: {field} must be a list of names.")
    name = entry.get("name")
    instance = Machine.objects.filter(name=name).first() if isinstance(name, str) else None
    form = MachineForm(data=form_data(entry, instance), instance=instance)
    if not form.is_valid():
        problems = "; ".join(
            f"{field if field != '__all__' else 'machine'}: {' '.join(messages)}"
            for field, messages in form.errors.items()
        )
        raise CommandError(f"{label}: {problems}")
    return form


def form_data(entry: dict[str, Any], instance: Machine | None) -> dict[str, Any]:
    """The entry as form data; fields it leaves out keep the machine's (or the default) value."""
    data: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name in entry:
            value = entry[name]
        elif instance is not None:
            value = getattr(instance, name)
        else:
            value = Machine._meta.get_field(name).get_default()
        data[name] = "\n".join(value) if name in LIST_FIELDS else value
    return data


def save(form: MachineForm, action: str, summary: str) -> None:
    machine = form.save()
    audit.record(action, actor=None, machine=machine, summary=summary)


def _names(names: list[str]) -> str:
    return f" ({', '.join(names)})" if names else ""
