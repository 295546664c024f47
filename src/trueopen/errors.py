"""Errors that end a command with a one-line message and exit code 2."""


class InputError(Exception):
    """The input cannot be audited: the message is one line, meant for the user."""
