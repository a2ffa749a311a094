"""The development mailbox: who may see it, and the messages Django's file-based email backend
kept under var/mail/ (development only)."""

import email
import email.policy
import ipaddress
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest


def _is_loopback(request: HttpRequest) -> bool:
    # A request that came through a proxy is not the developer's own browser, even though
    # the proxy connects from 127.0.0.1.
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def mailbox_allowed(request: HttpRequest) -> bool:
    """DEBUG on and PORTAL_DEV_MAILBOX set; then the developer's own machine (loopback) or a
    signed-in staff superuser (a demo on a shared host)."""
    if not (settings.DEBUG and getattr(settings, "PORTAL_DEV_MAILBOX", False)):
        return False
    user = request.user
    return _is_loopback(request) or (
        user.is_authenticated and user.is_active and user.is_staff and user.is_superuser
    )


# The file-based backend appends each message followed by a line of 79 dashes.
SEPARATOR = "\n" + "-" * 79 + "\n"
FILE_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]+\.log$")


@dataclass
class Attachment:
    position: int
    filename: str
    content_type: str
    content: bytes


@dataclass
class KeptMessage:
    file: str
    index: int
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "(no subject)")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def date(self) -> str:
        return str(self.message["Date"] or "")

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part else ""

    @property
    def attachments(self) -> list[Attachment]:
        """What came with the message (an invitation's .ics, say), in the message's order."""
        return [
            Attachment(
                position,
                part.get_filename() or f"attachment-{position}",
                part.get_content_type(),
                part.get_payload(decode=True) or b"",
            )
            for position, part in enumerate(self.message.iter_attachments())
        ]


def _messages_in(path: Path) -> list[KeptMessage]:
    chunks = [c for c in path.read_text(errors="replace").split(SEPARATOR) if c.strip()]
    return [
        KeptMessage(path.name, i, email.message_from_string(c, policy=email.policy.default))
        for i, c in enumerate(chunks)
    ]


def kept_messages(directory: Path) -> list[KeptMessage]:
    """Every kept message, newest first."""
    if not directory.is_dir():
        return []
    files = sorted((p for p in directory.iterdir() if FILE_NAME.match(p.name)), reverse=True)
    return [m for path in files for m in reversed(_messages_in(path))]


def kept_message(directory: Path, file: str, index: int) -> KeptMessage | None:
    if not FILE_NAME.match(file) or not (directory / file).is_file():
        return None
    messages = _messages_in(directory / file)
    return messages[index] if 0 <= index < len(messages) else None
