"""The key footer: Textual's own, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[object, ...], ...]


class KeyFooter(Footer):
    """Textual rebuilds every key of its footer each time a screen says its bindings
    may have changed: each focus move, each page loaded (five times while the app
    starts, about 100 ms). Here the changes of one refresh are checked once, and the
    keys are rebuilt only if what they would show differs."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: Shown | None = None
        self._check_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:  # its screen was closed meanwhile
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys_shown(self) -> Shown:
        """What compose() would draw from: each shown binding and whether it is enabled."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip, binding.group)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette)
