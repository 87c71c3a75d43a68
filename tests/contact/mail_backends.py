"""E-mail backends for tests (infrastructure: the real error path of django.core.mail, not a mock)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that refuses every message (test infrastructure: the real SMTP error path)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connexion au serveur de messagerie perdue (test).")


class DirectoryEmailBackend(BaseEmailBackend):
    """Writes each message to a file of the folder named by PORTAL_TEST_MAIL_DIR (a worker process's outbox)."""

    def send_messages(self, email_messages):
        import os
        import uuid
        from pathlib import Path

        folder = Path(os.environ["PORTAL_TEST_MAIL_DIR"])
        for message in email_messages:
            (folder / f"{uuid.uuid4()}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
