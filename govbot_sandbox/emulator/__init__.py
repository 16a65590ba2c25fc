"""The AppStream emulator: a faithful stand-in for AppStream 2.0 image APIs.

Core (state, rules, operations, clock, CloudTrail events): ``AppStreamBackend``.
Transport (wire protocols, in-process botocore hook, HTTP server, identity, faults,
event sinks): ``AppStreamEmulator`` and friends.

Example
-------
>>> emulator = AppStreamEmulator(clock=ManualClock())
>>> with mock_aws(), mock_appstream(emulator):
...     boto3.client("appstream").describe_images()
"""

from govbot_sandbox.emulator.backend import AppStreamBackend
from govbot_sandbox.emulator.clock import ManualClock, ScaledClock, SystemClock
from govbot_sandbox.emulator.contract import AppStreamError, CallContext
from govbot_sandbox.emulator.facade import AppStreamEmulator
from govbot_sandbox.emulator.faults import FaultConfig
from govbot_sandbox.emulator.mock import active_emulator, mock_appstream, patch_client
from govbot_sandbox.emulator.server import EmulatorServer
from govbot_sandbox.emulator.shape_check import ShapeViolation, check_output, check_shape
from govbot_sandbox.emulator.sinks import MotoEventBridgeSink, RecordingSink, SafeFanout

__all__ = [
    "AppStreamBackend",
    "AppStreamEmulator",
    "AppStreamError",
    "CallContext",
    "EmulatorServer",
    "FaultConfig",
    "ManualClock",
    "MotoEventBridgeSink",
    "RecordingSink",
    "SafeFanout",
    "ScaledClock",
    "ShapeViolation",
    "SystemClock",
    "active_emulator",
    "check_output",
    "check_shape",
    "mock_appstream",
    "patch_client",
]
