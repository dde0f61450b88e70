"""Errors that carry a message saying what went wrong and how to fix it."""


class CourseError(Exception):
    """A problem the user can fix; its message names the thing and the fix."""


class DataError(CourseError):
    """A dataset file is missing, corrupt or cannot be fetched."""


class UnknownAssignment(CourseError):
    """An assignment id that the course does not have."""
