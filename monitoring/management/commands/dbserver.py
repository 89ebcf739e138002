"""Start, stop or show the embedded SecantusDB server for this project's data folder."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from factory_site import embedded
from factory_site.errors import redact_uri


class Command(BaseCommand):
    help = (
        "Manage the embedded development database (SecantusDB) for EMBEDDED_DB_PATH. "
        "Other commands start it on demand; this one starts, stops or reports it explicitly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["start", "stop", "status"], help="What to do with the server."
        )

    def handle(self, *args, action: str, **options):
        db = settings.DATABASES["default"]
        if "EMBEDDED_PATH" not in db:
            raise CommandError(
                f"MONGODB_URI is set ({redact_uri(db['HOST'])}): no embedded server is used"
            )
        path = Path(db["EMBEDDED_PATH"])
        if action == "start":
            try:
                state = embedded.ensure_server(path)
            except embedded.EmbeddedServerError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"running: pid {state.pid}, {state.uri}, {path}"))
        elif action == "stop":
            state = embedded.stop(path)
            if state:
                self.stdout.write(self.style.SUCCESS(f"stopped pid {state.pid} ({path})"))
            else:
                self.stdout.write(f"not running ({path})")
        else:
            state = embedded.status(path)
            if state:
                self.stdout.write(f"running: pid {state.pid}, {state.uri}, {path}")
            else:
                self.stdout.write(f"not running ({path})")
