"""Digests: a real SMTP server (aiosmtpd) and a local HTTP receiver check what is sent."""

import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from monitoring.alarms.digest import SIGNATURE_HEADER, digests_send, webhook_post
from monitoring.alarms.models import AlarmRecipient
from monitoring.alarms.services import alarms_evaluate
from tests.factories import BearingFactory, MachineFactory
from tests.monitoring.alarms.support import series

pytestmark = pytest.mark.django_db


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd needs a real port number to test its start
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
        ):  # fmt: skip
            yield inbox
    finally:
        controller.stop()


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received, _Receiver.fail_first = [], 0
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_one_digest_per_customer_by_email_and_signed_webhook(smtp, receiver):
    _, url = receiver
    acme = BearingFactory()
    globex = BearingFactory(machine=MachineFactory(customer="Globex"))
    AlarmRecipient.objects.create(customer="Acme", email="ops@acme.example",
                                  webhook_url=url, webhook_secret="s3cret")  # fmt: skip
    AlarmRecipient.objects.create(customer="Globex", email="ops@globex.example")
    changes = alarms_evaluate(readings=series(acme, [1.0] * 10 + [5.0]))
    changes += alarms_evaluate(readings=series(globex, [1.0] * 10 + [5.0]))
    assert digests_send(changes=changes) == 2
    by_rcpt = {tuple(rcpt): body for rcpt, body in smtp.messages}
    assert set(by_rcpt) == {("ops@acme.example",), ("ops@globex.example",)}
    assert "New (2)" in by_rcpt[("ops@acme.example",)]  # zone + baseline
    assert str(globex.pk) not in by_rcpt[("ops@acme.example",)]  # never another customer's
    ((headers, body),) = _Receiver.received
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert json.loads(body)["customer"] == "Acme" and len(json.loads(body)["new"]) == 2


@override_settings(ALARM_WEBHOOK_BACKOFF_S=0.01, ALARM_WEBHOOK_ATTEMPTS=3)
def test_webhook_retries_then_gives_up(receiver):
    _, url = receiver
    _Receiver.fail_first = 1
    assert webhook_post(url, "k", {"customer": "Acme"}) is True
    assert len(_Receiver.received) == 2
    _Receiver.received, _Receiver.fail_first = [], 10
    assert webhook_post(url, "k", {"customer": "Acme"}) is False
    assert len(_Receiver.received) == 3


@override_settings(ALARM_WEBHOOK_BACKOFF_S=0.0, ALARM_WEBHOOK_ATTEMPTS=1,
                   ALARM_WEBHOOK_TIMEOUT_S=0.5)  # fmt: skip
def test_an_unreachable_webhook_does_not_fail_the_digest():
    assert webhook_post("http://127.0.0.1:9/", "", {"customer": "Acme"}) is False


def test_no_recipients_no_digest(smtp):
    bearing = BearingFactory()
    changes = alarms_evaluate(readings=series(bearing, [1.0] * 10 + [5.0]))
    assert digests_send(changes=changes) == 0 and smtp.messages == []
