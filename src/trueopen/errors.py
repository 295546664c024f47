"""Errors that end a command with a one-line message and exit code 2."""


class InputError(Exception):
    """The input cannot be audited: the message is one line, meant for the user."""


def validation_error_line(exc: object) -> str:
    """The first error of a pydantic ValidationError as one line: `where: what`."""
    err = exc.errors()[0]  # type: ignore[attr-defined]
    where = ".".join(str(x) for x in err["loc"]) or "(top)"
    return f"{where}: {err['msg']}"
