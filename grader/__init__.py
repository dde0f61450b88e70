"""The instructor's engine: checks, sandbox, scoring, reports and the `course` CLI."""
__version__ = "0.1.0"
