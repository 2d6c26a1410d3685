"""A circuit breaker per subgraph.

`failures` consecutive transport failures open the circuit. While it is open, one request at a
time goes through as a trial; every other request to that subgraph fails at once (partial
results with its fields null) instead of piling up connections and timeouts on a subgraph that
is down. A successful trial closes the circuit, so recovery is immediate once the subgraph is
back; a failed one keeps it open.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _State:
    failures: int = 0
    open: bool = False
    trial_running: bool = False


class CircuitBreaker:
    def __init__(self, failures: int) -> None:
        self.threshold = failures
        self._states: dict[str, _State] = {}

    def allow(self, subgraph: str) -> bool:
        """May a request go to `subgraph` now? (Takes the trial slot when open.)"""
        state = self._states.get(subgraph)
        if self.threshold <= 0 or state is None or not state.open:
            return True
        if state.trial_running:
            return False
        state.trial_running = True
        return True

    def is_open(self, subgraph: str) -> bool:
        state = self._states.get(subgraph)
        return state is not None and state.open

    def success(self, subgraph: str) -> None:
        state = self._states.get(subgraph)
        if state is not None:
            state.failures = 0
            state.open = False
            state.trial_running = False

    def release(self, subgraph: str) -> None:
        """The request ended without a verdict (cancelled): free the trial slot."""
        state = self._states.get(subgraph)
        if state is not None:
            state.trial_running = False

    def failure(self, subgraph: str) -> None:
        if self.threshold <= 0:
            return
        state = self._states.setdefault(subgraph, _State())
        state.failures += 1
        state.trial_running = False
        if state.failures >= self.threshold:
            state.open = True
