"""A real SMTP server for the mail tests, run as its own process: STARTTLS on a test CA's
certificate, AUTH required, and refusals chosen by the recipient's address:

- ``later-…@``: refused for now (451) the first time, accepted the next;
- ``busy-…@``: always refused for now (451);
- ``nobody-…@``: refused for good (550);
- ``cut-…@``: the server closes the connection in the middle of the message, the first time.

Each accepted message is written to the spool folder as ``<n>.eml``.
"""

from __future__ import annotations

import argparse
import ssl
import threading
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, spool: Path) -> None:
        self.spool = spool
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            self.seen[address] += 1
            tries = self.seen[address]
        if address.startswith("nobody-"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy-") or (address.startswith("later-") and tries == 1):
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if any(a.startswith("cut-") for a in envelope.rcpt_tos) and self.seen[envelope.rcpt_tos[0]] == 1:
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        with self.lock:
            number = len(list(self.spool.glob("*.eml"))) + 1
            # written aside, then renamed: a test that reads the spool never sees half a message
            part = self.spool / f"{number}.part"
            part.write_bytes(envelope.original_content)
            part.replace(self.spool / f"{number}.eml")
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--spool", required=True)
    parser.add_argument("--password", default="secret")
    args = parser.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"kit",
            args.password.encode(),
        )
        # handled=False: aiosmtpd then answers 535 itself (with its default, True, it answers nothing)
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(Path(args.spool)),
        hostname="127.0.0.1",
        port=args.port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
