"""Email: one message for one reader, and the facilitator's own mail account that sends it.

A message carries the minutes three ways: plain text (the Markdown as written), self-contained
HTML (inline style, no remote image) and, when the minutes have dates, the `.ics` attached. The
account is kit.toml's or the KIT_* variables' SMTP settings, never the database's.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from kit.core.models import utcnow


class MailError(Exception):
    """A message could not be sent; `permanent` when trying again would not help."""

    def __init__(self, kind: str, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        #: "connection" (no server reached), "authentication", "refused" (this address), "server"
        self.kind = kind
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True)
class Letter:
    """What one reader receives."""

    to: str
    subject: str
    text: str
    html: str
    stop_url: str
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, content)


def compose(letter: Letter, sender: str, message_id_domain: str) -> EmailMessage:
    """The multipart message: text, then HTML as its alternative, then the attachments."""
    message = EmailMessage()
    message["Subject"] = letter.subject
    message["From"] = sender
    message["To"] = letter.to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    # a reader's mail program offers "unsubscribe"; RFC 8058's one-click POST goes to the same link
    message["List-Unsubscribe"] = f"<{letter.stop_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, subtype="plain", charset="utf-8")
    message.add_alternative(letter.html, subtype="html", charset="utf-8")
    for name, mime, content in letter.attachments:
        maintype, subtype = mime.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def sender_address(config: Mapping[str, Any]) -> str:
    """Who the messages come from: MAIL_FROM, else the account's user name."""
    return str(config.get("MAIL_FROM") or config.get("SMTP_USER") or "")


def domain_of(address: str) -> str:
    try:
        return Address(addr_spec=address).domain or "kit.invalid"
    except (ValueError, IndexError):
        return "kit.invalid"


class Account:
    """The facilitator's mail account, one connection for a batch of messages."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host = str(config.get("SMTP_HOST") or "")
        self.port = int(config.get("SMTP_PORT") or 587)
        self.security = str(config.get("SMTP_SECURITY") or "starttls").lower()
        self.user = str(config.get("SMTP_USER") or "")
        self.password = str(config.get("SMTP_PASSWORD") or "")
        self.timeout = float(config.get("SMTP_TIMEOUT") or 20)
        self.ca_file = config.get("SMTP_CA_FILE") or None
        self.smtp: smtplib.SMTP | None = None

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context

    def open(self) -> None:
        try:
            if self.security == "tls":
                self.smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
            else:
                self.smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    self.smtp.starttls(context=self._tls())
            if self.user:
                self.smtp.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise MailError("authentication", _reply(error), permanent=True) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            raise MailError("server", _reply(error), permanent=error.smtp_code >= 500) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError("connection", str(error) or type(error).__name__, permanent=False) from error

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.open()
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise MailError("refused", f"{code} {reply.decode(errors='replace')}", permanent=code >= 500) from error
        except smtplib.SMTPResponseException as error:
            permanent = error.smtp_code >= 500
            self._reset_after_refusal()
            raise MailError("refused" if permanent else "server", _reply(error), permanent=permanent) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError("connection", str(error) or type(error).__name__, permanent=False) from error
        if refused:
            code, reply = next(iter(refused.values()))
            raise MailError("refused", f"{code} {reply.decode(errors='replace')}", permanent=code >= 500)

    def _reset_after_refusal(self) -> None:
        # the server said no to this message, not to the connection: the next one may go through
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _reply(error: smtplib.SMTPResponseException) -> str:
    message = (
        error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    )
    return f"{error.smtp_code} {message}"


def send_one(config: Mapping[str, Any], letter: Letter) -> None:
    """One message, on a connection of its own (a sign-in link); raises MailError."""
    sender = sender_address(config)
    account = Account(config)
    try:
        account.send(compose(letter, sender, domain_of(sender)))
    finally:
        account.close()
