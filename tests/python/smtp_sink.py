"""A real SMTP server for the end-to-end run (aiosmtpd): every message it receives is written
to DIR as <n>.eml, so tests read what Gatehouse actually delivered over SMTP.

Usage: python smtp_sink.py PORT DIR   (runs until killed)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.count += 1
        tmp = self.directory / f".{self.count:05d}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.directory / f"{self.count:05d}.eml")
        return "250 Message accepted for delivery"


def main() -> None:
    port, directory = int(sys.argv[1]), Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToDir(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(
        f"smtp sink listening on 127.0.0.1:{port}, writing to {directory}", flush=True
    )
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
