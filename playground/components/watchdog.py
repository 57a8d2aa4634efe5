"""The live view's watchdog: reruns a playing page whose live view has stopped receiving messages.

A playing page takes a new rerun interval with a whole rerun started from inside its live
fragment, and under load the fragment's own timer can preempt that whole run before it arms
the new timer: the browser then has no timer left, and the page stops (bench/classroom.py
caught it in about one class of 30 in three). This component lives outside the fragment, so
each whole run draws it anew; while the page plays, its script checks every second when the
live view last received a message (`window.__playgroundMessageAt`, set by
playground/static/live_view.js) and, after `stall` seconds without one, asks for a whole
rerun (a trigger, as a widget does: nothing else changes), which arms the timer again.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function ({ data, setTriggerValue }) {
  const w = window.__playgroundWatchdog || (window.__playgroundWatchdog = { timer: null, asked: 0 });
  w.data = data;
  w.ask = setTriggerValue;
  w.drawn = Date.now();  // a whole run just happened: the clock starts again
  if (w.timer) return;
  w.timer = setInterval(() => {
    if (!w.data || !w.data.playing) return;
    const now = Date.now(), quiet = now - Math.max(window.__playgroundMessageAt || 0, w.drawn);
    if (quiet > w.data.stall * 1000 && now - w.asked > w.data.stall * 1000) {
      w.asked = now;
      window.__playgroundWatchdogAsked = (window.__playgroundWatchdogAsked || 0) + 1;
      w.ask("stalled", now);
    }
  }, 1000);
}
"""

_component = st.components.v2.component("playground.components.watchdog", js=_JS)


def watchdog(playing: bool, stall: float, key: str) -> None:
    """Watch a live view (see the module's docstring): rerun the page after `stall` quiet seconds while `playing`."""
    _component(key=key, data={"playing": playing, "stall": stall}, on_stalled_change=lambda: None, height=0)
