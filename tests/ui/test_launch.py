"""Launching the app as a user does: on the built-in example, and on a file, via --screenshot."""

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage


def screen(tmp_path, width, height):
    """An offscreen platform with one screen of the given size."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96}]}))
    return f"offscreen:configfile={config}"


def launch(tmp_path, *args, size=(1920, 1080)):
    env = dict(os.environ, QT_QPA_PLATFORM=screen(tmp_path, *size),
               JAXVIZ_HOME=str(tmp_path / "home"))
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "jaxviz", *args, "--screenshot", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    return result, out


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_launch_on_the_built_in_example_fits_the_screen(tmp_path, qapp, size):
    result, out = launch(tmp_path, "--no-restore", size=size)
    assert result.returncode == 0, result.stderr
    assert "(graph of grad(f))" in result.stdout, result.stdout  # traced and drawn
    image = QImage(str(out))
    assert image.width() <= size[0] and image.height() <= size[1]  # nothing off-screen
    assert image.width() >= 0.9 * min(size[0], 1920) and image.height() >= 0.9 * size[1]
    session = (tmp_path / "home" / "session.json").read_text()
    assert "4 * x**3" in session and '"pipeline": "grad"' in session


def test_launch_on_a_file(tmp_path, qapp):
    path = tmp_path / "mine.py"
    path.write_text("def g(x):\n    return (jnp.sin(x) * 2.0).sum()\n")
    result, out = launch(tmp_path, str(path), "-f", "g", "-a", "jnp.ones(3)", "-p", "grad")
    assert result.returncode == 0, result.stderr
    assert "(graph of grad(g))" in result.stdout, result.stdout
    assert out.exists()
    session = (tmp_path / "home" / "session.json").read_text()
    assert "jnp.sin(x)" in session and str(path) in session


def test_screenshot_of_code_with_an_error_does_not_hang(tmp_path, qapp):
    path = tmp_path / "broken.py"
    path.write_text("def g(x):\n    return x +\n")
    result, out = launch(tmp_path, str(path), "-a", "1.0")
    assert result.returncode == 0 and out.exists()
    assert "(error: " in result.stdout and "line 2" in result.stdout


def _no_display_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return dict(env, JAXVIZ_HOME=str(tmp_path / "home"))


def test_launching_without_a_display_says_so_and_names_the_ways_round(tmp_path):
    result = subprocess.run([sys.executable, "-m", "jaxviz"], env=_no_display_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2  # not Qt's abort (134)
    assert "no display found" in result.stderr
    assert "--screenshot" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr
    assert "libxcb-cursor0" not in result.stderr


def test_a_screenshot_needs_no_display(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "jaxviz", "--screenshot", str(out)],
                            env=_no_display_env(tmp_path), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert QImage(str(out)).width() > 0
