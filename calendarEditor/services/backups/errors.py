class BackupError(Exception):
    """A backup or restore that cannot go ahead; ``message`` says why, for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
