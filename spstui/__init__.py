"""spstui: a keyboard-driven terminal browser for SPS recorded sessions."""

__version__ = "0.1.0"
