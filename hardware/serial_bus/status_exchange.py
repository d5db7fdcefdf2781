"""The request/status round trip Dynamixel and Feetech servos share.

Both buses send one request and expect one status packet from each addressed servo, in order.
What differs is only how a status packet is framed; what a spoiled line costs is the same: a
reply that is cut short or fails its checksum is retried after the line goes quiet, a servo that
reports its own error stops the face with that error named, and silence ends in a clear error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from facetwin.errors import BackendError
from facetwin.hardware.serial_bus.transport import SerialTransport


class Incomplete(Exception):
    """More bytes are needed before the buffer holds a whole packet."""


class Corrupt(Exception):
    """The packet at the head of the buffer failed its checksum; drop `length` bytes.
    `servo_id` is the id the damaged packet claims, when its header survived."""

    def __init__(self, length: int, servo_id: int | None = None) -> None:
        super().__init__("checksum mismatch" + (f" in a packet from id {servo_id}" if servo_id is not None else ""))
        self.length = length
        self.servo_id = servo_id


@dataclass(frozen=True)
class Status:
    """One servo's reply: its id, its own error in words ("" when none) and the data it carries."""

    servo_id: int
    error: str
    params: bytes


def exchange(io: SerialTransport, request: bytes, ids: Sequence[int], what: str, retries: int,
             read_status: Callable[[], Status]) -> dict[int, bytes]:
    """Send `request` and collect one status per id (in order): {id: data}. `read_status` reads
    one status packet from `io`, raising Incomplete or Corrupt when the line spoiled it."""
    problem = "no reply"
    for _ in range(retries):
        io.write(request)
        replies: dict[int, bytes] = {}
        try:
            for servo_id in ids:
                status = read_status()
                if status.servo_id != servo_id:
                    raise Corrupt(0, status.servo_id)
                if status.error:
                    raise BackendError(f"{io.name}: servo {servo_id} reports {status.error} (answering {what})")
                replies[servo_id] = status.params
            return replies
        except (Incomplete, Corrupt) as exc:
            problem = "a corrupt reply" if isinstance(exc, Corrupt) else "no complete reply"
            io.discard_input()
    raise BackendError(f"{io.name}: {problem} to {what} after {retries} tries")
