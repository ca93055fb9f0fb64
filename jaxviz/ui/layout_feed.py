"""What the layout worker already has: stage graphs are sent to it once, by key; after that a
group opened or closed sends the key and the open groups only (a few hundred bytes instead of
the whole IR: 1.4 MB for a 3,000-equation chain). A worker that restarted has nothing: the
keys are forgotten when its process changes, or when it answers that it lacks one."""

from __future__ import annotations

from ..worker import protocol as p


class LayoutFeed:
    def __init__(self, client):
        self.client = client  # the layout service's WorkerClient
        self.sent: set[str] = set()
        self.pid: int | None = None

    def _fresh(self) -> None:
        if self.client.pid != self.pid:
            self.pid, self.sent = self.client.pid, set()

    def layout_request(self, stage_set, indices: list[int], options) -> p.LayoutRequest:
        self._fresh()
        models = [stage_set.state(i, with_graph=stage_set.key(i) not in self.sent)
                  for i in indices]
        self.sent.update(stage_set.key(i) for i in indices)
        return p.LayoutRequest(models, options, list(indices))

    def prime_request(self, stage_set, indices: list[int]) -> p.PrimeRequest | None:
        """The graphs of these stages, sent ahead so that the first toggle is small too."""
        self._fresh()
        wanted = [i for i in indices if stage_set.key(i) not in self.sent]
        self.sent.update(stage_set.key(i) for i in wanted)
        return p.PrimeRequest([p.GraphState(stage_set.key(i), [], stage_set.graph_to_send(i))
                               for i in wanted]) if wanted else None

    def forget(self) -> None:
        self.sent = set()
