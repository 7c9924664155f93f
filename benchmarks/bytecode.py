"""Byte-code for spstui's own modules, written before anything is timed.

An installed package comes with its byte-code (pip compiles it), and a checkout
gets it on its first run, unless PYTHONDONTWRITEBYTECODE is set: then every launch
compiled each of spstui's modules again, about a tenth of the launch here, while
the bare Textual app beside it used the byte-code pip wrote for Textual.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "spstui"


def compile_spstui() -> None:
    if not compileall.compile_dir(PACKAGE, quiet=1):
        raise SystemExit(f"could not compile {PACKAGE}")
