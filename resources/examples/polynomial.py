"""The tutorial's polynomial, 4x³ + 3x² + 2x + 1, and its derivatives (62, 54, 24 at x = 2)."""


def f(x):
    return 4 * x**3 + 3 * x**2 + 2 * x + 1
