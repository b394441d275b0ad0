"""The processing job's own thread: every `process_interval`, and at once when a poll stored mentions.

Processing (scoring, detection, delivery) must follow a poll closely for an alert to go out while
a spike is happening, but the model must stay on one thread and passes must not pile up behind a
slow one. So requests are coalesced: any number of polls during a pass cause one more pass right
after it, and a pass never runs beside another.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Callable


class ProcessLoop:
    def __init__(self, run: Callable[[], None], interval: timedelta):
        self._run = run
        self._interval = interval.total_seconds()
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="process", daemon=True)

    def start(self) -> None:
        """Run a pass now, then one per interval or request."""
        self._thread.start()

    def request(self) -> None:
        """Ask for a pass as soon as the one in hand (if any) is done."""
        self._wanted.set()

    def stop(self) -> None:
        """Let the pass in hand finish (it stops at its next batch once the pipeline is stopping)."""
        self._stopping.set()
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wanted.clear()  # before the pass: a request arriving during it runs another
            self._run()
            self._wanted.wait(self._interval)
