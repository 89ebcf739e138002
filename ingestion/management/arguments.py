"""Argument types shared by the ingestion commands."""

import argparse
import datetime as dt

#: Exit status when another run holds the ingestion lock (EX_TEMPFAIL: try again later).
EXIT_LOCKED = 75


def iso_date(value: str) -> dt.date:
    """A YYYY-MM-DD argument; anything else is a usage error naming the problem."""
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r}; expected YYYY-MM-DD") from None
