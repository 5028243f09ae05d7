"""The project's own exceptions: each carries one sentence a user can act on."""


MAX_MESSAGE = 400  # characters: a message quoting a file's cell (a header that swallowed the file) stays readable


class KinvizError(Exception):
    """Base class for every error kinviz raises on purpose. Its message is one line: text quoted from a file
    (a cell holding line breaks) cannot break it, and a long quote is cut."""

    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], str):
            message = " ".join(args[0].splitlines())
            args = (message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "...",)
        super().__init__(*args)


class CSVError(KinvizError, ValueError):
    """A trajectory CSV could not be read; the message says where and what to do."""


class MaskError(KinvizError, ValueError):
    """A frame-mask specification (e.g. '6-9,14' or 'forecast') is invalid."""


class CheckpointError(KinvizError):
    """A model checkpoint is missing, corrupt or does not match the code."""
