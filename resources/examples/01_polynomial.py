# jaxviz-example: {"title": "Polynomial under grad", "function": "f", "args": "2.0", "pipeline": "grad"}
# jaxviz-example: {"title": "Polynomial: 1st, 2nd and 3rd derivatives", "function": "f", "args": "2.0", "pipeline": "grad | grad | grad"}
"""The tutorial's polynomial, 4x³ + 3x² + 2x + 1. Its derivatives at 2.0 are 62, 54 and 24."""


def f(x):
    return 4 * x**3 + 3 * x**2 + 2 * x + 1
