#!/usr/bin/env bash
# Set up jaxviz on a fresh Debian (or Ubuntu) machine, idempotently:
#   1. the system libraries Qt needs (for the window and for offscreen tests), and python3-venv;
#   2. a virtual environment in .venv with jaxviz installed from this checkout, with test extras.
# Then run `.venv/bin/jaxviz` or `.venv/bin/python -m pytest`. Re-running skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

# soname → Debian package. The xcb ones are what Qt's xcb (X11) platform plugin loads.
LIBS="libGL.so.1:libgl1 libEGL.so.1:libegl1 libfontconfig.so.1:libfontconfig1
libxkbcommon.so.0:libxkbcommon0 libdbus-1.so.3:libdbus-1-3 libglib-2.0.so.0:libglib2.0-0
libxkbcommon-x11.so.0:libxkbcommon-x11-0 libxcb-cursor.so.0:libxcb-cursor0
libxcb-icccm.so.4:libxcb-icccm4 libxcb-image.so.0:libxcb-image0
libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-randr.so.0:libxcb-randr0
libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0
libxcb-xinerama.so.0:libxcb-xinerama0 libxcb-xkb.so.1:libxcb-xkb1"

missing=()
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# read the cache once: `ldconfig -p | grep -q` under pipefail fails when grep exits early
# and ldconfig dies of SIGPIPE, which made the script think a present library was missing
known=$(ldconfig -p 2>/dev/null || true)
for pair in $LIBS; do
  [[ "$known" == *"${pair%%:*}"* ]] || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; else
    echo "jaxviz setup: please install these Debian packages as root: ${missing[*]}" >&2; exit 1
  fi
  echo "jaxviz setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.jaxviz-installed-$(cat pyproject.toml resources/setup.sh | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  # compat: the checkout goes on sys.path, so `import jaxviz` finds the package even from the
  # folder that holds a clone named jaxviz (the default finder loses to that empty folder)
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]' \
    --config-settings editable_mode=compat
  rm -f .venv/.jaxviz-installed-* && touch "$stamp"
fi
