"""Fixtures that drive the real window offscreen, with its real worker processes."""

import argparse

import pytest


def app_args(**kw):
    base = dict(file=None, function=None, args=None, pipeline=None, screenshot=None,
                host_devices=None, no_restore=True)
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def jaxviz_home(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXVIZ_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def make_window(qtbot, jaxviz_home):
    """Build windows; each is shut down (workers included) at the end of the test."""
    from jaxviz.ui.app import build_window

    made = []

    def make(**kw):
        window = build_window(app_args(**kw))
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.tracer.shutdown()
        window.layouter.shutdown()


@pytest.fixture
def window(make_window, qtbot):
    """The app on its built-in example, first graph drawn."""
    win = make_window()
    with qtbot.waitSignal(win.graphShown, timeout=60_000):
        pass
    return win
