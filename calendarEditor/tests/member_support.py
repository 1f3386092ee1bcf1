"""Helpers shared by the member page tests."""

from django.contrib.messages import get_messages

from calendarEditor.services import queue
from conftest import entry_request


def queue_on(machine, member, title, *, by, hours=10):
    return queue.enqueue(entry_request(title, hours), member=member, by=by, machine=machine).entry


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]
