"""The JSON API (django-ninja): machines and queues, a member's entries, notifications.

Views here are thin like the pages': authorize (a personal API token), parse,
call the same services, and apply calendarEditor.services.privacy to other
members' entries.
"""
