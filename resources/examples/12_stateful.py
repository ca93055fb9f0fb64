# jaxviz-example: {"title": "Sharp bit: a stateful object under jit", "function": "step", "args": "2.0", "pipeline": "jit"}
"""The tutorial's StateFul class: under jit its state changes once, at trace time (see the
note beside the graph). Compare 13_stateless.py, the pure rewrite."""


class StateFul:
    def __init__(self):
        self.state = 0

    def change_state(self):
        self.state = self.state + 1
        return self.state ** 2


stateful = StateFul()


def step(x):
    return stateful.change_state() * x
