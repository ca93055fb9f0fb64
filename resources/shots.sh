#!/usr/bin/env bash
# The README's screenshots, in a real window on a virtual screen (Xvfb), at 1280x800 and
# 1920x1080: the 6-layer MLP grad, the 12-block transformer grad, a flax/optax train step and
# an nnx encoder's grad, and an equinox CNN step; the overlays below the jaxpr; values and a
# found NaN. Needs xvfb (apt-get install xvfb) and the set-up of resources/setup.sh.
# --below: only the overlays below the jaxpr; --values: only the values; --sharding: only
# the collectives of a partitioned program.
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
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true  # its display is free again before the next one starts
}
if [ -z "${1:-}" ]; then
for size in 1280x800 1920x1080; do
  shoot "$size" "resources/mlp_grad_$size.png" resources/examples/10_deep_mlp_grad.py \
    -f mlp -a 'make(6), f32[16,32]' -p grad
  shoot "$size" "resources/transformer_grad_$size.png" resources/examples/11_transformer_grad.py \
    -f transformer -a 'make(12), f32[16,32]' -p grad
  shoot "$size" "resources/flax_train_step_$size.png" tests/data/models/flax_train.py \
    -f train_step -a 'params, opt_state, f32[8,16], i32[8]' -p jit
  shoot "$size" "resources/nnx_encoder_grad_$size.png" tests/data/models/nnx_encoder.py \
    -f loss -a 'state, f32[4,8,16]' -p grad
  shoot "$size" "resources/eqx_cnn_step_$size.png" tests/data/models/eqx_cnn.py \
    -f step -a 'model, f32[2,1,8,8], i32[2]' -p jit
done
fi
if [ -z "${1:-}" ] || [ "${1:-}" = "--below" ]; then
# below the jaxpr: example 17 under grad | jit | compile, the jit stage coloured by each overlay
below=(resources/examples/17_below_the_jaxpr.py -f loss -a 'params, f32[64,32], f32[64,8]'
       -p 'grad | jit | compile' --tab xla)
for overlay in fusion flops memory residuals; do
  shoot 1280x800 "resources/below_${overlay}_1280x800.png" "${below[@]}" --color-by "$overlay"
done
shoot 1920x1080 resources/below_fusion_1920x1080.png "${below[@]}" --color-by fusion
fi
if [ -z "${1:-}" ] || [ "${1:-}" = "--values" ]; then
# values: the first NaN of example 21 found and selected; the MLP grad coloured by magnitude
for size in 1280x800 1920x1080; do
  shoot "$size" "resources/values_nan_$size.png" resources/examples/21_find_the_nan.py --find-nan
done
shoot 1280x800 resources/values_mlp_1280x800.png resources/examples/10_deep_mlp_grad.py \
  -f mlp -a 'make(6), f32[16,32]' -p grad --color-by values
fi
if [ -z "${1:-}" ] || [ "${1:-}" = "--sharding" ]; then
# sharding: the shard_map ring on 8 simulated devices, coloured by the bytes each equation's
# collectives move, beside the XLA tab's list of them
for size in 1280x800 1920x1080; do
  shoot "$size" "resources/sharding_ring_$size.png" resources/examples/20_ring_shard_map.py \
    -p 'jit | compile' --host-devices 8 --color-by communication --tab collectives
done
fi
