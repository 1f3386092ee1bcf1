"""What a member asks for when submitting a job, independent of any form or API."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from calendarEditor.models import EntryStatus, Machine, QueueEntry
from calendarEditor.services import matching


@dataclass(frozen=True)
class EntryRequest:
    title: str
    estimated_hours: float
    requirements: matching.Requirements
    description: str = ""

    def build_entry(
        self, *, member: AbstractBaseUser, machine: Machine, position: int
    ) -> QueueEntry:
        """An unsaved entry at ``position`` on ``machine``."""
        req = self.requirements
        return QueueEntry(
            member=member,
            member_name=member.get_username(),
            title=self.title,
            description=self.description,
            estimated_hours=self.estimated_hours,
            machine=machine,
            machine_name=machine.name,
            position=position,
            status=EntryStatus.QUEUED,
            required_min_temp=req.min_temp,
            required_max_temp=req.max_temp,
            required_field_x=req.field_x,
            required_field_y=req.field_y,
            required_field_z=req.field_z,
            required_field_direction=req.field_direction,
            required_dc_lines=req.dc_lines,
            required_rf_lines=req.rf_lines,
            required_daughterboard=req.daughterboard,
            required_optical=req.optical,
            required_capabilities=sorted(req.capabilities),
        )
