"""A real SMTP server for tests (aiosmtpd) on 127.0.0.1.

Usage: smtp_sink.py OUT.jsonl
Prints the listening port on the first line of stdout, then appends one JSON object per received
message to OUT.jsonl: {"from", "to", "subject", "body", "attachments": [filename...],
"parts": [{"filename", "content_type", "text"}...]} (one per attachment; "text" only for text/*).
Runs until killed.
"""

import asyncio
import email
import email.policy
import json
import socket
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"] or ""),
            "body": body.get_content() if body is not None else "",
            "attachments": [part.get_filename() for part in message.iter_attachments()],
            "parts": [
                {
                    "filename": part.get_filename(),
                    "content_type": part.get("content-type", ""),
                    "text": part.get_content() if part.get_content_maintype() == "text" else None,
                }
                for part in message.iter_attachments()
            ],
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Handler(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
