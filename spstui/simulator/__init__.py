"""An embedded SPS appliance, built from the REST API reference pages.

It backs `spstui --demo`, `spstui simulator` and the tests. It is written
independently of the client: it never imports `spstui.api`.
"""

from spstui.simulator.app import Fault, RequestRecord, Simulator
from spstui.simulator.clock import Clock, ManualClock

__all__ = ["Clock", "Fault", "ManualClock", "RequestRecord", "Simulator"]
