"""A virtual servo for the emulators: it follows its target no faster than its speed limit.

Positions advance with the wall clock so an emulated face moves in real time, like the real
one, whoever asks (the driver's read-back or `servo_positions()` for a twin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class VirtualServo:
    """Position and target in device units; speed in units/s; acceleration in units/s^2 (0: none).

    A disabled servo keeps its last position (the horn stays where the skin leaves it).
    """

    position: float
    target: float
    speed: float
    acceleration: float = 0.0
    enabled: bool = False
    velocity: float = 0.0

    def advance(self, dt: float) -> None:
        if not self.enabled or dt <= 0.0:
            self.velocity = 0.0
            return
        error = self.target - self.position
        if error == 0.0:
            self.velocity = 0.0
            return
        wanted = math.copysign(self.speed, error)
        if self.acceleration > 0.0:
            # Brake early enough to stop on the target: |v| <= sqrt(2 a |error|).
            wanted = math.copysign(min(self.speed, math.sqrt(2.0 * self.acceleration * abs(error))), error)
            dv = max(-self.acceleration * dt, min(self.acceleration * dt, wanted - self.velocity))
            self.velocity += dv
        else:
            self.velocity = wanted
        step = self.velocity * dt
        if step * error > 0.0 and abs(step) >= abs(error):
            self.position = self.target
            self.velocity = 0.0
        else:
            self.position += step
