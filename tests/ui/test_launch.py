"""Launching the app as a user does: on the built-in example, and on a file, via --screenshot."""

import os
import subprocess
import sys

from PySide6.QtGui import QImage


def launch(tmp_path, *args):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JAXVIZ_HOME=str(tmp_path / "home"))
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "jaxviz", *args, "--screenshot", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    return result, out


def test_launch_on_the_built_in_example(tmp_path, qapp):
    result, out = launch(tmp_path, "--no-restore")
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert image.width() >= 1200 and image.height() >= 800
    session = (tmp_path / "home" / "session.json").read_text()
    assert "4 * x**3" in session and '"pipeline": "grad"' in session


def test_launch_on_a_file(tmp_path, qapp):
    path = tmp_path / "mine.py"
    path.write_text("def g(x):\n    return (jnp.sin(x) * 2.0).sum()\n")
    result, out = launch(tmp_path, str(path), "-f", "g", "-a", "jnp.ones(3)", "-p", "grad")
    assert result.returncode == 0, result.stderr
    assert out.exists()
    session = (tmp_path / "home" / "session.json").read_text()
    assert "jnp.sin(x)" in session and str(path) in session


def test_screenshot_of_code_with_an_error_does_not_hang(tmp_path, qapp):
    path = tmp_path / "broken.py"
    path.write_text("def g(x):\n    return x +\n")
    result, out = launch(tmp_path, str(path), "-a", "1.0")
    assert result.returncode == 0 and out.exists()
