#!/usr/bin/env bash
# The README's screenshots, in a real window on a virtual screen (Xvfb), at 1280x800 and
# 1920x1080: the 6-layer MLP grad and the 12-block transformer grad. Needs xvfb
# (apt-get install xvfb) and the set-up of resources/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
shoot() {  # WIDTHxHEIGHT OUT.png jaxviz-arguments...
  local size=$1 out=$2; shift 2
  Xvfb :97 -screen 0 "${size}x24" >/dev/null 2>&1 & local xvfb=$!
  sleep 1
  DISPLAY=:97 QT_QPA_PLATFORM=xcb JAXVIZ_HOME="$home" .venv/bin/jaxviz --no-restore "$@" \
    --screenshot "$out" || true
  kill "$xvfb"
}
for size in 1280x800 1920x1080; do
  shoot "$size" "resources/mlp_grad_$size.png" resources/examples/10_deep_mlp_grad.py \
    -f mlp -a 'make(6), f32[16,32]' -p grad
  shoot "$size" "resources/transformer_grad_$size.png" resources/examples/11_transformer_grad.py \
    -f transformer -a 'make(12), f32[16,32]' -p grad
done
