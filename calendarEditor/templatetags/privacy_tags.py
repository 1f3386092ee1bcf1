"""Template access to the privacy rules: ``{% load privacy_tags %}``.

``{{ e|shown_title:user }}``, ``{{ e|shown_member:user }}`` and
``{% if e|can_see:user %}`` all defer to calendarEditor.services.privacy, so a
page never decides for itself whose details it shows. They read only the
entry's own fields: no query per row.
"""

from django import template

from calendarEditor.services import privacy

register = template.Library()


@register.filter
def shown_title(entry: object, viewer: object) -> str:
    return privacy.shown_title(viewer, entry)


@register.filter
def shown_member(entry: object, viewer: object) -> str:
    return privacy.shown_member(viewer, entry)


@register.filter
def can_see(entry: object, viewer: object) -> bool:
    return privacy.can_see_details(viewer, entry)
