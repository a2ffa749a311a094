"""Webhooks go to public addresses only: refused when registered (commands and back office) and
again at send time, where the checked address is the one connected to."""

import datetime
import ipaddress
import random
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from sandbox.core import services
from sandbox.core.models import Account, Shop
from sandbox.oauth.models import OAuthClient
from sandbox.webhooks import sender
from sandbox.webhooks.destinations import forbidden_reason
from sandbox.webhooks.models import Delivery, Endpoint
from tests.sandbox.webhook_support import Receiver

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture(autouse=True)
def safe_by_default(settings):
    """The sandbox's default, whatever the environment says (test support allows private
    destinations for the sandbox processes it starts)."""
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = False


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def account(db) -> Account:
    return Account.objects.create(name="Destination Garage")


@pytest.fixture
def resolver(monkeypatch):
    """`resolver(name, *answers)`: DNS that answers `name` with each address in turn (the
    last one repeats), as a rebinding attacker's server would; asked names are counted."""
    zones: dict[str, list[str]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in zones:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        asked.append(host)
        answers = zones[host]
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def add(name: str, *answers: str) -> list[str]:
        zones[name] = list(answers)
        return asked

    return add


def send_one(account: Account, url: str) -> Delivery:
    """An endpoint stored as it is (its address may have changed since it was checked), a
    change that queues a delivery to it, and one attempt by the sender."""
    Endpoint.objects.create(account=account, url=url)
    shop = Shop.objects.create(account=account, name="Destination Garage", slug="destination")
    services.create_customer(shop, first_name="Dee", last_name="Stination")
    token, [delivery] = sender.claim(1, due_by=timezone.now())
    sender.attempt(delivery, token, random.Random(1))
    delivery.refresh_from_db()
    return delivery


# --- which addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("0.0.0.0", "unspecified"),  # noqa: S104 (a value under test)
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "private"),  # documentation
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4 inside IPv6
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_only_public_unicast_addresses_may_receive_webhooks(address, reason):
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


# --- registering ----------------------------------------------------------------------------

INSIDE = [
    "http://127.0.0.1:9/hooks",
    "http://localhost/hooks",
    "http://[::1]:8000/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "https://10.0.0.7/hooks",
]


@pytest.mark.parametrize("url", INSIDE)
def test_adding_an_endpoint_inside_the_network_is_refused(account, url):
    with pytest.raises(CommandError, match="public addresses only"):
        call_command("add_webhook_endpoint", account=account.id, url=url)
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("url", INSIDE)
def test_registering_a_client_with_a_webhook_url_inside_the_network_is_refused(db, url):
    with pytest.raises(CommandError, match="public addresses only"):
        call_command(
            "create_oauth_client",
            name="Sneaky Portal",
            redirect_uris=["https://portal.example/cb"],
            webhook_url=url,
        )
    assert not OAuthClient.objects.exists()


def test_a_name_that_resolves_inside_the_network_is_refused(account, resolver):
    resolver("hooks.inside.test", "10.0.0.1")
    with pytest.raises(CommandError, match=r"hooks\.inside\.test resolves to 10\.0\.0\.1"):
        call_command("add_webhook_endpoint", account=account.id, url="http://hooks.inside.test/")


def test_local_development_may_allow_private_destinations(account, settings):
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = True
    call_command("add_webhook_endpoint", account=account.id, url="http://127.0.0.1:9/hooks")
    assert Endpoint.objects.get().url == "http://127.0.0.1:9/hooks"


def test_a_public_destination_is_accepted(account):
    call_command("add_webhook_endpoint", account=account.id, url="https://8.8.8.8/hooks")
    assert Endpoint.objects.get().url == "https://8.8.8.8/hooks"


def test_the_back_office_refuses_an_endpoint_inside_the_network(admin_client, account):
    answer = admin_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"account": account.id, "url": "http://169.254.169.254/latest", "is_active": "on"},
    )
    assert answer.status_code == 200
    assert "169.254.169.254, a link-local address" in answer.content.decode()
    assert not Endpoint.objects.exists()


def test_the_back_office_refuses_a_client_webhook_url_inside_the_network(admin_client, db):
    client = OAuthClient.objects.create(
        name="Portal", client_id="ci_x", redirect_uris="https://portal.example/cb"
    )
    answer = admin_client.post(
        reverse("admin:oauth_oauthclient_change", args=[client.pk]),
        {
            "name": "Portal",
            "redirect_uris": "https://portal.example/cb",
            "webhook_url": "http://localhost:6379/",
        },
    )
    assert answer.status_code == 200
    assert "a loopback address" in answer.content.decode()
    client.refresh_from_db()
    assert client.webhook_url == ""


# --- sending --------------------------------------------------------------------------------


def test_the_sender_refuses_a_destination_that_now_resolves_inside(account, receiver):
    delivery = send_one(account, receiver.url)
    assert receiver.received == []
    assert delivery.state == Delivery.State.FAILED
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert "127.0.0.1, a loopback address" in attempt.error


def test_the_sender_connects_to_the_address_it_checked(account, resolver, settings, receiver):
    # The name resolves to a public address when checked, then (rebinding) to the receiver.
    settings.SANDBOX_WEBHOOK_TIMEOUT = 1
    asked = resolver("hooks.rebind.test", "8.8.8.8", "127.0.0.1")
    port = receiver.port
    delivery = send_one(account, f"http://hooks.rebind.test:{port}/hooks")
    assert receiver.received == []
    assert asked == ["hooks.rebind.test"]  # resolved once, for the check and the connection
    assert delivery.state == Delivery.State.PENDING  # no answer: retried later
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code is None
    assert attempt.error.startswith(("No answer within 1 s.", "Could not connect"))


def test_a_pinned_request_keeps_the_host_name_in_its_host_header(
    account, resolver, settings, receiver
):
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = True
    resolver("hooks.pinned.test", "127.0.0.1", "127.0.0.2")
    port = receiver.port
    delivery = send_one(account, f"http://hooks.pinned.test:{port}/hooks?shop=1")
    assert delivery.state == Delivery.State.DELIVERED
    [hook] = receiver.received
    assert hook.headers["Host"] == f"hooks.pinned.test:{port}"
    assert hook.path == "/hooks?shop=1"


def self_signed(name: str, directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def tls_receiver(cert: str, key: str, names: list | None = None) -> Receiver:
    """A started receiver that speaks TLS with `cert`; `names` collects the SNI it is sent."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if names is not None:
        context.sni_callback = lambda sock, name, ctx: names.append(name)
    receiver = Receiver()
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    return receiver.start()


def test_a_pinned_https_request_sends_the_host_name_in_sni_and_checks_its_certificate(
    account, resolver, settings, tmp_path
):
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = True
    cert, key = self_signed("hooks.tls.test", tmp_path)
    settings.SANDBOX_WEBHOOK_CA_BUNDLE = cert
    resolver("hooks.tls.test", "127.0.0.1")
    names: list[str | None] = []
    receiver = tls_receiver(cert, key, names)
    try:
        port = receiver.port
        delivery = send_one(account, f"https://hooks.tls.test:{port}/hooks")
    finally:
        receiver.stop()
    assert delivery.state == Delivery.State.DELIVERED
    assert names == ["hooks.tls.test"]
    assert receiver.received[0].headers["Host"] == f"hooks.tls.test:{port}"


def test_a_certificate_for_another_name_is_refused(account, resolver, settings, tmp_path):
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = True
    cert, key = self_signed("someone.else.test", tmp_path)
    settings.SANDBOX_WEBHOOK_CA_BUNDLE = cert
    resolver("hooks.tls.test", "127.0.0.1")
    receiver = tls_receiver(cert, key)
    try:
        port = receiver.port
        delivery = send_one(account, f"https://hooks.tls.test:{port}/hooks")
    finally:
        receiver.stop()
    assert receiver.received == []
    [attempt] = delivery.attempt_log.all()
    assert attempt.error.startswith("TLS failed")


def test_stored_error_text_is_one_short_line(account, settings):
    settings.SANDBOX_ALLOW_PRIVATE_WEBHOOKS = True
    delivery = send_one(account, f"http://{'a' * 60}.{'b' * 60}.{'c' * 60}.invalid/hooks")
    [attempt] = delivery.attempt_log.all()
    assert attempt.error.startswith("Could not resolve the host")
    assert len(attempt.error) <= 300
    text = sender.trim("Traceback:\n" + "x\r\n\t" * 500)
    assert len(text) == 300
    assert text.isprintable()
    assert text.endswith("…")
