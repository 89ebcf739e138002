"""gunicorn settings for the benchmark: the project's gunicorn.conf.py, access log off.

``GUNICORN_ACCESS_LOG`` cannot say "off" (an empty value is taken as a file name), so this file
runs the project's configuration and then sets ``accesslog = None``, which gunicorn reads as
"no access log" (no line is even formatted).
"""

import runpy
from pathlib import Path

globals().update(
    {
        name: value
        for name, value in runpy.run_path(
            str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py")
        ).items()
        if not name.startswith("__")
    }
)
accesslog = None
