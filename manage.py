#!/usr/bin/env python
"""Django's command-line utility, with a one-line message when the database is unreachable."""

import os
import sys


def main() -> None:
    """Run a management command; turn an unreachable database into one clear line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factory_site.settings.local")
    from django.core.management import execute_from_command_line

    from factory_site.errors import database_unreachable_message, is_database_unreachable

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        if not is_database_unreachable(exc):
            raise
        sys.stderr.write(database_unreachable_message(exc) + "\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
