"""django-mongodb-backend, saying which database it uses, and starting the embedded one.

With ``MONGODB_URI`` set, the URI is used as is and logged without credentials. Without it
(development, demo, tests), the embedded SecantusDB is found or started on the first
connection rather than at settings import, so commands that never touch the database
(``dbserver stop``, ``check``) do not start one.
"""

import logging
from pathlib import Path

from django_mongodb_backend import base

from factory_site import embedded
from factory_site.errors import redact_uri

logger = logging.getLogger("factory_site.db")


class DatabaseWrapper(base.DatabaseWrapper):
    """A MongoDB connection; HOST is the embedded server for ``EMBEDDED_PATH`` when unset."""

    _announced = False

    def get_connection_params(self):
        if self.settings_dict.get("HOST") and not self.settings_dict.get("EMBEDDED_PATH"):
            if not DatabaseWrapper._announced:
                DatabaseWrapper._announced = True
                logger.info(
                    "database: MongoDB at %s, database %r",
                    redact_uri(self.settings_dict["HOST"]), self.settings_dict["NAME"],
                )  # fmt: skip
        elif not self.settings_dict.get("HOST"):
            state = embedded.ensure_server(Path(self.settings_dict["EMBEDDED_PATH"]))
            self.settings_dict["HOST"] = state.uri
            logger.info(
                "database: embedded SecantusDB at %s (data in %s), database %r",
                state.uri, state.storage_path, self.settings_dict["NAME"],
            )  # fmt: skip
        return super().get_connection_params()
