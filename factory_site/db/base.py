"""django-mongodb-backend, with the embedded SecantusDB started on first connection.

Used only when ``MONGODB_URI`` is unset (development, demo, tests). Starting the server lazily,
on the first connection rather than at settings import, means commands that never touch the
database (``dbserver stop``, ``check``) do not start one.
"""

import logging
from pathlib import Path

from django_mongodb_backend import base

from factory_site import embedded

logger = logging.getLogger("factory_site.db")


class DatabaseWrapper(base.DatabaseWrapper):
    """A MongoDB connection whose HOST is the embedded server for ``EMBEDDED_PATH``."""

    def get_connection_params(self):
        if not self.settings_dict.get("HOST"):
            state = embedded.ensure_server(Path(self.settings_dict["EMBEDDED_PATH"]))
            self.settings_dict["HOST"] = state.uri
            logger.info(
                "database: embedded SecantusDB at %s (data in %s), database %r",
                state.uri, state.storage_path, self.settings_dict["NAME"],
            )  # fmt: skip
        return super().get_connection_params()
