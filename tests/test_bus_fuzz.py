"""Line noise on every bus: 20,000 byte strings (random, or shaped like the device's packets;
random register writes on the PCA9685's I2C)
kill no emulator and leave a face that steps cleanly within a second of the noise ending; where
the device checks a CRC (Maestro in CRC mode, Dynamixel), no corrupted driver packet moves a
servo outside its calibration; on the PCA9685, which has no integrity check, every target is
back within one control period. Seeded, so every run sees the same noise."""

from __future__ import annotations

import contextlib
import errno
import time

import numpy as np
import pytest

from facetwin.errors import BackendError
from facetwin.hardware.backend_url import open_hardware_face
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.safety import SafetyConfig
from tests.guards import time_limit

NOISE_STRINGS = 20_000
CORRUPTED_PACKETS = 5_000
BACKENDS = {name: f"emulated:{name}?crc=1" if "crc" in kind.options else f"emulated:{name}"
            for name, kind in BUS_KINDS.items()}
"""Every kind, with its CRC on where the device offers one."""
SERIAL = [name for name in BUS_KINDS if name != "pca9685"]


@pytest.fixture(autouse=True)
def _time_limit():
    with time_limit(60):
        yield


def _face(name: str, spec):
    return open_hardware_face(BACKENDS[name], spec, pacing=False, safety=SafetyConfig(max_step=1.0,
                                                                                     watchdog_timeout=None))


def _command(spec, rng) -> np.ndarray:
    return np.clip(spec.neutral_command + rng.uniform(-0.8, 0.8, spec.n_actuators), -1, 1)


def _random_bytes(rng, low: int = 1, high: int = 16) -> bytes:
    return rng.integers(0, 256, rng.integers(low, high + 1)).astype(np.uint8).tobytes()


def _lookalike(name: str, rng) -> bytes:
    """Garbage that starts like one of the device's packets: a header then random bytes (its
    length field a lie), or a well-formed packet whose parameters are too short for its
    instruction. Pure random bytes almost never contain a Dynamixel header."""
    servo_id = int(rng.choice([1, 2, 26, 0xFE, int(rng.integers(0, 256))]))
    if name == "maestro":
        return bytes((0xAA,)) + _random_bytes(rng)
    protocol = dx if name == "dynamixel" else ft
    if rng.random() < 0.5:
        header = dx.HEADER if name == "dynamixel" else b"\xff\xff"
        return header + bytes((servo_id,)) + _random_bytes(rng)
    instruction = int(rng.choice([protocol.PING, protocol.READ, protocol.WRITE, protocol.SYNC_READ,
                                  protocol.SYNC_WRITE, int(rng.integers(0, 256))]))
    return protocol.packet(servo_id, instruction, _random_bytes(rng, 0, 1))


def _noise(name: str, rng, n: int) -> list[bytes]:
    """`n` strings of line noise for a `name` bus: half random bytes, half packet lookalikes."""
    return [_random_bytes(rng) if rng.random() < 0.5 else _lookalike(name, rng) for _ in range(n)]


def _last_targets(face) -> dict[int, float]:
    """The last target the device parsed on each of the face's channels."""
    received = dict(face.emulator.target_log)
    return {c: received.get(c) for c in face.driver.channels}


def _wait_for_targets(face, wanted: dict[int, float], tolerance: float) -> None:
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        got = _last_targets(face)
        if all(got[c] is not None and abs(got[c] - wanted[c]) <= tolerance for c in wanted):
            return
        time.sleep(0.005)
    raise AssertionError(f"the device did not get the face's targets: {_last_targets(face)} != {wanted}")


def _steps_cleanly_within_a_second(face, rng) -> None:
    """Within one second of the noise ending the face steps without an error, three times in a
    row, and the device holds the targets the driver sent."""
    ended = time.monotonic()
    clean = 0
    while clean < 3:
        assert time.monotonic() - ended < 1.0, "the face did not step cleanly within one second"
        face.emulator.target_log.clear()
        try:
            face.step(_command(face.spec, rng))
            clean += 1
        except BackendError:
            clean = 0
    tolerance = face.bus.period_us / 4096 if face.bus.kind == "pca9685" else 0
    _wait_for_targets(face, dict(zip(face.driver.channels, face.driver.last.tolist())), tolerance)


@pytest.mark.parametrize("name", SERIAL)
def test_line_noise_kills_no_emulator_and_the_face_steps_cleanly_again(name, model):
    rng = np.random.default_rng(15)
    with _face(name, model.spec) as face:
        face.reset()
        face.emulator.record_targets = True
        noise = _noise(name, rng, NOISE_STRINGS)
        for batch in range(0, NOISE_STRINGS, 100):
            face.bus._io.write(b"".join(noise[batch : batch + 100]))  # on the wire, between the driver's packets
            face.bus._io._serial.reset_input_buffer()  # the device's answers to noise, which nobody reads
            if batch % 2000 == 0:
                with contextlib.suppress(BackendError):  # a reply spoiled by the noise, said in one line
                    face.step(_command(model.spec, rng))
        time.sleep(0.2)  # the emulator works through what is still in the pty
        assert face.emulator._thread.is_alive()
        _steps_cleanly_within_a_second(face, rng)
        assert face.emulator._thread.is_alive()


def _corrupt(packet: bytes, rng) -> bytes:
    """A burst of line noise: 1 to 7 flipped bits within 7 consecutive bits, which any CRC of
    at least 7 bits detects."""
    bits = int.from_bytes(packet, "big")
    start = int(rng.integers(0, 8 * len(packet) - 6))
    burst = int(rng.integers(1, 128)) | 1  # at least one flip, the burst's first bit
    return (bits ^ burst << (8 * len(packet) - 7 - start)).to_bytes(len(packet), "big")


@pytest.mark.parametrize("name", ["maestro", "dynamixel"])
def test_with_the_crc_on_no_corrupted_driver_packet_moves_a_servo_outside_its_calibration(name, model):
    rng = np.random.default_rng(16)
    with _face(name, model.spec) as face:
        face.reset()
        face.emulator.record_targets = True
        io, driver = face.bus._io, face.driver
        write = io.write
        for packet in range(CORRUPTED_PACKETS):
            io.write = lambda data: write(_corrupt(data, rng))
            targets = rng.integers(driver.map.min, driver.map.max + 1)
            face.bus.write_targets(driver.channels, targets.tolist())  # fire and forget: no reply to wait for
            io.write = write
            if packet % 50 == 49:
                with contextlib.suppress(BackendError):  # a round trip: the device has read what came before
                    face.bus.read_positions(driver.channels)
        assert face.emulator._thread.is_alive()
        low, high = dict(zip(driver.channels, driver.map.min)), dict(zip(driver.channels, driver.map.max))
        outside = [(c, t) for c, t in face.emulator.target_log if c not in low or not low[c] <= t <= high[c]]
        assert outside == []
        _steps_cleanly_within_a_second(face, rng)


def _random_transfer(smbus, addresses: list[int], rng) -> None:
    address = int(rng.choice(addresses))
    register = int(rng.integers(0, 256))
    try:
        if rng.random() < 0.5:
            smbus.write_byte_data(address, register, int(rng.integers(0, 256)))
        else:
            smbus.write_i2c_block_data(address, register, rng.integers(0, 256, rng.integers(1, 33)).tolist())
    except OSError as exc:  # an address no board answers: a NACK, as on the wire
        assert exc.errno == errno.EREMOTEIO


def test_pca9685_register_noise_is_undone_within_one_control_period(model):
    rng = np.random.default_rng(17)
    with _face("pca9685", model.spec) as face:
        face.reset()
        face.emulator.record_targets = True
        smbus = face.bus._smbus
        addresses = [*face.bus.addresses, 0x70, 0x42]  # the boards, the all-call address and an absent one
        for i in range(NOISE_STRINGS):
            _random_transfer(smbus, addresses, rng)
            if i % 2000 == 0:
                face.step(_command(model.spec, rng))
        face.emulator.target_log.clear()
        command = _command(model.spec, rng)
        face.step(command)  # one control period
        emulator, driver = face.emulator, face.driver
        tick = face.bus.period_us / 4096
        for channel, target in zip(driver.channels, driver.last):
            address, local = face.bus._locate(channel)
            assert emulator.pulse_us(address, local) == pytest.approx(target, abs=tick), channel
            assert emulator.enabled()[channel] and emulator.targets()[channel] == pytest.approx(target, abs=tick)
        _steps_cleanly_within_a_second(face, rng)
