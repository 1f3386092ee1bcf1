"""Counts the SQL queries of a request that asks for it (bench settings only)."""

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.http import HttpRequest, HttpResponse

ASK_HEADER = "X-Bench-Queries"
ANSWER_HEADER = "X-Query-Count"


class QueryCountMiddleware:
    """Adds X-Query-Count to the response of a request sent with X-Bench-Queries: 1.

    Every query on every database connection is counted, from the session
    read to the session save; timed requests do not ask and pay nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get(ASK_HEADER) != "1":
            return self.get_response(request)
        counted = [0]

        def count(execute: Callable[..., Any], *args: Any) -> Any:
            counted[0] += 1
            return execute(*args)

        wrappers = [connections[alias].execute_wrapper(count) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[ANSWER_HEADER] = str(counted[0])
        return response
