"""Singer output: msgspec encoding, written out in blocks that end at state messages."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage

if TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message

# Records gathered before a write to stdout (a state or schema message writes at once).
FLUSH_BYTES = 1 << 16


class StateFlushingWriter(MsgSpecWriter):
    """Gathers records and writes them to stdout in blocks, at once for other messages.

    The SDK's writer makes one write system call per record (stdout is often unbuffered:
    PYTHONUNBUFFERED). Messages keep their order, so a STATE never reaches the target
    before the records it covers; a killed run loses only rows no state vouched for.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending = bytearray()

    def write_message(self, message: Message) -> None:
        """Add one message to the block; write the block out unless it is a record."""
        self._pending += self.format_message(message)
        if not isinstance(message, RecordMessage) or len(self._pending) >= FLUSH_BYTES:
            sys.stdout.buffer.write(self._pending)
            sys.stdout.flush()
            self._pending.clear()
