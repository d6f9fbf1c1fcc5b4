"""Sends notice e-mails over SMTP (aiosmtplib, STARTTLS or implicit TLS, optional auth), telling
temporary failures from permanent ones."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from ..domain.messages import Email
from ..ports import PermanentFailure, TemporaryFailure
from ..settings import NotificationsSettings

__all__ = ["PermanentFailure", "SmtpMailer", "TemporaryFailure", "build_message"]


def build_message(email: Email, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    if email.references:
        message["In-Reply-To"] = email.references[-1]
        message["References"] = " ".join(email.references)
    message["Date"] = formatdate(localtime=False)
    message["X-Hoctap-Alert-Key"] = email.alert_key
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders stay quiet
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def send(self, email: Email) -> Sequence[str]:
        s = self.settings
        try:
            refused, _ = await aiosmtplib.send(
                build_message(email, sender=s.mail_from),
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_starttls,
                use_tls=s.smtp_use_tls,
                validate_certs=s.smtp_validate_certs,
                cert_bundle=str(s.smtp_cert_bundle) if s.smtp_cert_bundle else None,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"all recipients refused: {error}") from error
            raise TemporaryFailure(str(error)) from error
        except aiosmtplib.SMTPDataError as error:
            # The server read this message and refused it (size, content): about the message.
            if error.code >= 500:
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise TemporaryFailure(f"{error.code} {error.message}") from error
        except aiosmtplib.SMTPResponseException as error:
            # Greeting, HELO, AUTH or MAIL FROM refused: about our configuration or the server, not
            # this message. Even a 5xx is retried, so a wrong password does not fail the whole queue.
            raise TemporaryFailure(f"{type(error).__name__}: {error.code} {error.message} (check the SMTP settings)") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        return [f"{address}: {response.code} {response.message}" for address, response in refused.items()]
