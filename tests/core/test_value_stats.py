"""An array's statistics are NumPy's own: the counts, the moments and the histogram."""

import numpy as np
import pytest

from jaxviz.core.value_stats import BINS, array_stats

RNG = np.random.default_rng(7)
ARRAYS = {
    "normal f32": RNG.normal(size=(64, 33)).astype(np.float32),
    "with NaN and infinities": np.array([1.5, np.nan, np.inf, -np.inf, 0.0, -2.0]),
    "integers": np.arange(-5, 20),
    "constant": np.full(9, 3.0),
    "complex (by magnitude)": (RNG.normal(size=50) + 1j * RNG.normal(size=50)),
    "float16 near its largest": np.array([-60000, -1, 0, 1, 60000], np.float16),
    "float32 near its largest": np.array([-3e38, 0.0, 1.0, 3e38], np.float32),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_statistics_equal_numpys(name):
    x = ARRAYS[name]
    s = array_stats(x)
    wide = np.abs(x) if np.iscomplexobj(x) else x.astype(np.float64)
    finite = wide[np.isfinite(wide)]
    assert (s["nan"], s["posinf"], s["neginf"]) == \
        (np.isnan(wide).sum(), np.isposinf(wide).sum(), np.isneginf(wide).sum())
    assert s["zeros"] == x.size - np.count_nonzero(x)
    assert (s["min"], s["max"]) == (finite.min(), finite.max())
    assert s["mean"] == pytest.approx(finite.mean()) and s["std"] == pytest.approx(finite.std())
    counts, edges = np.histogram(finite, bins=BINS)
    assert s["histogram"]["counts"] == counts.tolist()
    assert s["histogram"]["edges"] == pytest.approx(edges, rel=1e-3)
