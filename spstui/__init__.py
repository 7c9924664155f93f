"""spstui: a keyboard-driven terminal browser for SPS recorded sessions."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (click, pygments, rich.progress) whenever those
# are installed, and uvicorn brings click: ~40 ms of every start for a tool we never
# run. A None entry makes that one import fail at once; httpx then defines a stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
