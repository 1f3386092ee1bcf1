"""Errors the domain layer raises for views and the API to show as messages."""

from calendarEditor.services import matching


class QueueError(Exception):
    """A queue change that cannot happen; the message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoCompatibleMachine(QueueError):
    """No machine (or not the named one) meets the requirements; nothing was saved."""

    def __init__(self, result: matching.MatchResult, only: str | None = None) -> None:
        self.result = result
        self.only = only
        if only:
            reasons = "; ".join(result.reasons.get(only, ()))
            message = f"{only} cannot take this entry: {reasons}."
        else:
            message = "No machine meets these requirements."
        super().__init__(message)
