"""A counting SMTP sink for benchmarks: accepts every message, keeps none.

`python bench/smtp_sink.py PORT COUNT_FILE` — on SIGTERM writes how many messages (and how
many distinct Message-IDs) it received to COUNT_FILE as JSON.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self) -> None:
        self.messages = 0
        self.ids: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        for line in envelope.original_content.split(b"\r\n", 40):
            if line[:11].lower() == b"message-id:":
                self.ids.add(line[11:].strip().decode())
                break
        return "250 OK"


def main() -> None:
    port, out = int(sys.argv[1]), sys.argv[2]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()
    with open(out, "w") as fh:
        json.dump({"messages": counter.messages, "distinct_ids": len(counter.ids)}, fh)


if __name__ == "__main__":
    main()
