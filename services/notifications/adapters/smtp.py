"""Sends alert e-mails over SMTP (aiosmtplib), telling temporary failures from permanent ones."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from ..domain.messages import Email
from ..settings import NotificationsSettings


class TemporaryFailure(Exception):
    """Worth retrying later: the server is down, busy (4xx) or the connection broke."""


class PermanentFailure(Exception):
    """Retrying will not help (5xx): recorded and surfaced, never retried."""


def build_message(email: Email, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = formatdate(localtime=False)
    message["X-Hoctap-Alert-Key"] = email.alert_key
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def send(self, email: Email) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                build_message(email, sender=s.mail_from),
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_starttls,
                use_tls=s.smtp_use_tls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refusal.code for refusal in error.recipients]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"all recipients refused: {error}") from error
            raise TemporaryFailure(str(error)) from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise PermanentFailure(f"{error.code} {error.message}") from error
            raise TemporaryFailure(f"{error.code} {error.message}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
