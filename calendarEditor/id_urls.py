"""URLs of views that take one integer id, without a resolver walk per link.

A queue page links each of its rows to four or five views, and ``reverse()``
walks the resolver on every call (about 13 µs from a template): on a page of
50 rows that is most of what its links cost. Here each URL name is reversed
once, with a marker id, and later ids are spliced in where the marker was.
Same result as ``reverse(name, args=[pk])`` for any view whose only argument
is an ``<int:…>``; anything else raises rather than guess.
"""

from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Digits that appear in no URL pattern of ours, so the split below is unambiguous.
_MARKER = "8675309421"


def id_url(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a URL whose one argument is an integer id."""
    head, tail = _halves(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(pk)}{tail}"


@lru_cache(maxsize=256)
def _halves(name: str, script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    # The prefix and urlconf are in the key because reverse() depends on both.
    url = reverse(name, args=[int(_MARKER)], urlconf=urlconf)
    head, marker, tail = url.partition(_MARKER)
    if not marker or _MARKER in tail:
        raise ImproperlyConfigured(f"{name!r} does not take exactly one integer id")
    return head, tail


@receiver(setting_changed)
def _forget_on_new_urls(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _halves.cache_clear()
