# jaxviz-example: {"title": "Sharp bit fixed: the stateless rewrite", "function": "step", "args": "0, 2.0", "pipeline": "jit"}
"""The tutorial's StateLess rewrite: the state goes in and comes out, so jit sees it at every
call and the trace changes nothing outside the function (no note)."""


def step(state, x):
    changed_state = state + 1
    return changed_state ** 2 * x, changed_state
