"""Told, not polled: one digest per customer of new, escalated and cleared alarms.

Sent after each ingestion run and each stale check that changed something: an email through
Django's email backend (SMTP in production, the console in development) and, per recipient, an
optional webhook POST of the same digest as JSON, signed with HMAC-SHA256 of the body
(``X-Alarm-Signature: sha256=<hex>``), with a timeout and retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping

import httpx
from django.conf import settings
from django.core.mail import send_mail

from monitoring.alarms.lifecycle import Change
from monitoring.alarms.models import AlarmRecipient

logger = logging.getLogger("monitoring.alarms")

#: Change kinds as a digest groups them.
SECTIONS = {"new": "new", "reopened": "new", "escalated": "escalated", "cleared": "cleared"}
SIGNATURE_HEADER = "X-Alarm-Signature"


def digest_build(customer: str, changes: Iterable[Change]) -> dict:
    """The digest of one customer: alarms per section (de-escalations are not news)."""
    sections: dict[str, list] = {"new": [], "escalated": [], "cleared": []}
    for change in changes:
        section = SECTIONS.get(change.kind)
        if section:
            item = {"alarm_id": str(change.alarm_id), "severity": change.severity}
            sections[section].append({**item, "subject": change.subject})
    return {"customer": customer, **sections}


def digest_text(digest: Mapping) -> str:
    """The email body of a digest."""
    lines = [f"Alarms of {digest['customer']}:"]
    for section in ("new", "escalated", "cleared"):
        items = digest[section]
        if items:
            lines.append(f"\n{section.capitalize()} ({len(items)}):")
            lines += [f"  - {i['severity']}: {i['subject']} (alarm {i['alarm_id']})" for i in items]
    return "\n".join(lines) + "\n"


def signature(secret: str, body: bytes) -> str:
    """The webhook signature header value: ``sha256=`` + HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_post(url: str, secret: str, digest: Mapping) -> bool:
    """POST a digest, retrying with backoff; whether a 2xx answer came back."""
    body = json.dumps(digest, sort_keys=True).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    attempts = max(1, settings.ALARM_WEBHOOK_ATTEMPTS)
    for attempt in range(attempts):
        try:
            answer = httpx.post(url, content=body, headers=headers,
                                timeout=settings.ALARM_WEBHOOK_TIMEOUT_S)  # fmt: skip
            if answer.is_success:
                return True
            logger.warning("alarm webhook %s answered %s", url, answer.status_code)
        except httpx.HTTPError as exc:
            logger.warning("alarm webhook %s failed: %s", url, exc)
        if attempt + 1 < attempts:
            time.sleep(settings.ALARM_WEBHOOK_BACKOFF_S * 2**attempt)
    return False


def digests_send(*, changes: Iterable[Change]) -> int:
    """Send each customer with news its digest; returns how many customers were told."""
    by_customer: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        if change.customer and change.kind in SECTIONS:
            by_customer[change.customer].append(change)
    told = 0
    for customer, items in sorted(by_customer.items()):
        recipients = list(AlarmRecipient.objects.filter(customer=customer, active=True))
        if not recipients:
            continue
        digest = digest_build(customer, items)
        emails = [r.email for r in recipients if r.email]
        if emails:
            send_mail(f"[alarms] {customer}: {len(items)} change(s)", digest_text(digest),
                      settings.ALARM_EMAIL_FROM, emails)  # fmt: skip
        for r in recipients:
            if r.webhook_url:
                webhook_post(r.webhook_url, r.webhook_secret, digest)
        told += 1
    return told
