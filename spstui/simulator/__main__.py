"""`python -m spstui.simulator FD`: serve the demo appliance on an inherited socket.

`spstui --demo` starts this in a process of its own (see `spstui/cli/demo.py`): the
simulator builds its sessions on the other core while the app starts, and answers
over loopback HTTP like an appliance, streaming downloads included. It stops when
its standard input closes, so it never outlives the app, even one that was killed.
"""

from __future__ import annotations

import socket
import sys
import threading

from spstui.simulator import Simulator
from spstui.simulator.server import serve_socket


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m spstui.simulator FD (a listening socket; used by "
              "spstui --demo)", file=sys.stderr)
        return 2
    listening = socket.socket(fileno=int(argv[0]))

    def stop_with_parent(stop: threading.Event) -> None:
        sys.stdin.buffer.read()  # returns at end of file: the app has gone
        stop.set()

    stop = threading.Event()
    threading.Thread(target=stop_with_parent, args=(stop,), daemon=True).start()
    sim = Simulator()
    sim.warm()  # requests wait in the socket's queue meanwhile
    serve_socket(listening, stop, sim)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
