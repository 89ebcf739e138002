"""`manage.py check_stale`: the stale-sensor alarms, every 15 minutes from cron (CRONJOBS)."""

from django.core.management.base import BaseCommand

from monitoring.alarms.digest import digests_send
from monitoring.alarms.services import alarms_stale_check


class Command(BaseCommand):
    """Raise, escalate or leave stale-sensor alarms; send digests when something changed."""

    help = (
        "Raise stale-sensor alarms for bearings without a reading for 36 h (warning) or 72 h "
        "(alert), unless an ingestion outage alarm explains the silence. Installed by "
        "`ingest_cron add` at ALARM_STALE_CRON_SCHEDULE (every 15 minutes)."
    )

    def handle(self, *args, **options):
        changes = alarms_stale_check()
        sent = digests_send(changes=changes)
        self.stdout.write(f"stale check: {len(changes)} alarm change(s), {sent} digest(s) sent")
