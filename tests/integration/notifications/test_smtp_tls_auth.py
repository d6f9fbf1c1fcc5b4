"""The SMTP adapter against a real aiosmtpd server that requires STARTTLS and authentication."""

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifications.adapters.smtp import SmtpMailer
from services.notifications.domain.messages import Email
from services.notifications.ports import TemporaryFailure
from services.notifications.settings import NotificationsSettings
from shared.devstack.processes import free_port
from shared.testing import CollectingSmtpHandler

EMAIL = Email("29401|learning_family|2024|missed", "<k@hoctap.test>", "[hoctap] Xã Hòa Lợi", ("a@example.vn",), "text", "<p>html</p>")


def certificate(folder: Path) -> tuple[Path, Path]:
    assert shutil.which("openssl"), "this test makes a self-signed certificate with the openssl command"
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def secure_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[bytes] = []

    def authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"hoctap", b"s3cret-pass")
        if ok:
            logins.append(auth_data.login)
        return AuthResult(success=ok, handled=False)

    handler = CollectingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_required=True, auth_require_tls=True)
    controller.start()
    yield controller, handler, cert, logins
    controller.stop()


def settings(port: int, cert: Path, password: str) -> NotificationsSettings:
    return NotificationsSettings(smtp_port=port, smtp_starttls=True, smtp_cert_bundle=cert,
                                 smtp_username="hoctap", smtp_password=password)


async def test_starttls_and_login_deliver_the_email(secure_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler, cert, logins = secure_server
    refused = await SmtpMailer(settings(controller.port, cert, "s3cret-pass")).send(EMAIL)
    assert refused == [] and logins == [b"hoctap"]
    [message] = handler.messages
    assert message["X-Hoctap-Alert-Key"] == "29401|learning_family|2024|missed"


async def test_a_wrong_password_is_a_configuration_problem_retried_not_a_permanent_refusal(secure_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler, cert, _ = secure_server
    with pytest.raises(TemporaryFailure, match="check the SMTP settings"):
        await SmtpMailer(settings(controller.port, cert, "wrong")).send(EMAIL)
    assert handler.messages == []


async def test_an_untrusted_certificate_is_refused(secure_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler, _, _ = secure_server
    with pytest.raises(TemporaryFailure):
        await SmtpMailer(NotificationsSettings(smtp_port=controller.port, smtp_starttls=True, smtp_username="hoctap",
                                               smtp_password="s3cret-pass")).send(EMAIL)
    assert handler.messages == []
