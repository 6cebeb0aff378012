#!/usr/bin/env bash
# ScaleLab's training step against the PyTorch CPU peer, shape by shape, alternating the two so that
# both see the same machine state. Prints one table (tokens/s, GFLOP/s, MFU, peak RSS, ratio).
#   bash bench/compare.sh                         # the five reference shapes
#   bash bench/compare.sh 2,64,2,64,16,256        # shapes as L,D,H,T,B,V
#   bash bench/compare.sh 4,128,4,128,16,256:rmsnorm+swiglu+rope   # ScaleLab with model variants
#                                                 # (the peer is GPT-2 only: it runs the plain shape)
# Needs the peer: bash ../shared/peers/install-pytorch-peer.sh (Debian's python3-torch with OpenBLAS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PEER=${PEER:-../shared/peers/pytorch_peer.py}
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-10}
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(2,64,2,64,16,256 4,128,4,128,16,256 4,256,4,128,8,256 8,256,8,128,8,256 6,512,8,256,8,256)
SCALELAB=${SCALELAB:-./scalelab}   # the launcher, or another command taking the same arguments
$SCALELAB --version >/dev/null
out=$(mktemp)
for s in "${shapes[@]}"; do
  shape=${s%%:*}; variant=""; [[ $s == *:* ]] && variant=${s#*:}
  IFS=, read -r L D H T B V <<<"$shape"
  vargs=()
  for v in ${variant//+/ }; do
    case $v in
      layernorm|rmsnorm) vargs+=(--norm "$v") ;;
      gelu|swiglu) vargs+=(--mlp "$v") ;;
      learned|rope) vargs+=(--position "$v") ;;
      *) echo "compare.sh: unknown variant '$v' in $s (layernorm|rmsnorm, gelu|swiglu, learned|rope)" >&2; exit 2 ;;
    esac
  done
  $SCALELAB bench --shape "$shape" "${vargs[@]}" --steps "$STEPS" 2>/dev/null | tail -1 >> "$out"
  /usr/bin/python3 "$PEER" --n-layer "$L" --d-model "$D" --n-head "$H" --n-ctx "$T" --batch "$B" --vocab "$V" \
    --steps "$STEPS" --threads "$THREADS" 2>/dev/null | tail -1 >> "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"{'shape (L,d,h,T,B,V)':<24} {'variants':<22} {'scalelab tok/s':>14} {'peer tok/s':>11} {'ratio':>6} {'GFLOP/s':>8} {'MFU':>6} {'RSS MB':>7} {'peer RSS':>8}")
for a, b in zip(rows[0::2], rows[1::2]):
    shape = f"{a['n_layer']},{a['d_model']},{a['n_head']},{a['n_ctx']},{a['batch']},{a['vocab']}"
    print(f"{shape:<24} {a.get('variants', 'layernorm+gelu+learned'):<22} {a['tokens_per_s']:>14.0f} {b['tokens_per_s']:>11.0f} {a['tokens_per_s']/b['tokens_per_s']:>6.2f} "
          f"{a['gflop_per_s']:>8.2f} {a['mfu']:>6.1%} {a['peak_rss_mb']:>7.0f} {b['peak_rss_mb']:>8.0f}")
PY
rm -f "$out"
