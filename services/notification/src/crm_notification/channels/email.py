"""EMAIL over SMTP (aiosmtplib): TLS mode, credentials, sender and reply-to from settings."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from crm_notification.deliveries.model import Delivery, DeliveryError
from crm_notification.settings import NotificationSettings, SmtpSecurity

DELIVERY_ID_HEADER = "X-CRM-Delivery-Id"


def build_message(delivery: Delivery, settings: NotificationSettings) -> EmailMessage:
    if not delivery.address:
        raise DeliveryError(f"no email address for user {delivery.target}", permanent=True)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = delivery.address
    if settings.mail_reply_to:
        message["Reply-To"] = settings.mail_reply_to
    message["Subject"] = delivery.title
    message["Message-ID"] = make_msgid(idstring=delivery.id, domain="crm.local")
    message[DELIVERY_ID_HEADER] = delivery.id
    message.set_content(delivery.body)
    return message


class SmtpSender:
    def __init__(self, settings: NotificationSettings) -> None:
        self._s = settings

    async def send(self, delivery: Delivery) -> None:
        s = self._s
        message = build_message(delivery, s)
        context = ssl.create_default_context()
        if not s.smtp_verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                use_tls=s.smtp_security is SmtpSecurity.TLS,
                start_tls=s.smtp_security is SmtpSecurity.STARTTLS,
                tls_context=context if s.smtp_security is not SmtpSecurity.NONE else None,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", permanent=True) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"smtp {type(exc).__name__}: {exc}") from exc
