"""The project's own exceptions: each carries one sentence a user can act on."""


class KinvizError(Exception):
    """Base class for every error kinviz raises on purpose."""


class CSVError(KinvizError, ValueError):
    """A trajectory CSV could not be read; the message says where and what to do."""


class MaskError(KinvizError, ValueError):
    """A frame-mask specification (e.g. '6-9,14' or 'forecast') is invalid."""


class CheckpointError(KinvizError):
    """A model checkpoint is missing, corrupt or does not match the code."""
