#!/usr/bin/env bash
# ScaleLab's training step against the PyTorch CPU peer, shape by shape: each shape is measured REPEATS
# times, and every repeat runs ScaleLab and then the peer back to back, so that both see the same machine
# state. Prints one table, one row per shape:
#   scalelab_tok_s, peer_tok_s   median over the repeats of each side's tokens/s
#   ratio                        median of the per-repeat ratios (ScaleLab ÷ peer of the same repeat),
#   ratio_min, ratio_max         and their range
#   gflop_s, mfu_pct, rss_mb     ScaleLab's medians (MFU in percent); peer_rss_mb the peer's median peak RSS
# Column names have no spaces, so the table loads as it is: pandas.read_csv(f, sep=r"\s+").
# CSV=path also writes the same rows as comma-separated values (with the repeat count).
#   bash bench/compare.sh                         # the five reference shapes
#   bash bench/compare.sh 2,64,2,64,16,256        # shapes as L,D,H,T,B,V
#   bash bench/compare.sh 4,128,4,128,16,256:rmsnorm+swiglu+rope   # ScaleLab with model variants
#                                                 # (the peer is GPT-2 only: it runs the plain shape)
#   REPEATS=5 STEPS=20 THREADS=2 CSV=/tmp/step.csv bash bench/compare.sh
#   SCALELAB="java -jar sweeps/target/scalelab.jar" bash bench/compare.sh   # another command, same arguments
# Needs the peer: bash ../shared/peers/install-pytorch-peer.sh (Debian's python3-torch with OpenBLAS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PEER=${PEER:-../shared/peers/pytorch_peer.py}
THREADS=${THREADS:-$(nproc)}
STEPS=${STEPS:-10}
REPEATS=${REPEATS:-5}
CSV=${CSV:-}
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: REPEATS must be a positive integer, not '$REPEATS'" >&2; exit 2; }
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(2,64,2,64,16,256 4,128,4,128,16,256 4,256,4,128,8,256 8,256,8,128,8,256 6,512,8,256,8,256)
SCALELAB=${SCALELAB:-./scalelab}   # the launcher, or another command taking the same arguments
$SCALELAB --version >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Each line of $out: shape index <TAB> side (scalelab|peer) <TAB> that run's JSON line.
for i in "${!shapes[@]}"; do
  s=${shapes[$i]}
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
  for ((r = 1; r <= REPEATS; r++)); do
    echo "compare.sh: $s repeat $r/$REPEATS" >&2
    printf '%s\tscalelab\t%s\n' "$i" "$($SCALELAB bench --shape "$shape" "${vargs[@]}" --steps "$STEPS" 2>/dev/null | tail -1)" >> "$out"
    printf '%s\tpeer\t%s\n' "$i" "$(/usr/bin/python3 "$PEER" --n-layer "$L" --d-model "$D" --n-head "$H" --n-ctx "$T" \
      --batch "$B" --vocab "$V" --steps "$STEPS" --threads "$THREADS" 2>/dev/null | tail -1)" >> "$out"
  done
done
python3 - "$out" "$CSV" "$REPEATS" <<'PY'
import csv, json, statistics, sys
path, csv_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {}  # shape index -> {"scalelab": [json...], "peer": [json...]}
for line in open(path):
    if not line.strip():
        continue
    i, side, js = line.rstrip("\n").split("\t", 2)
    runs.setdefault(int(i), {"scalelab": [], "peer": []})[side].append(json.loads(js))
med = statistics.median
rows = []
for i in sorted(runs):
    a, b = runs[i]["scalelab"], runs[i]["peer"]
    ratios = [x["tokens_per_s"] / y["tokens_per_s"] for x, y in zip(a, b)]  # same repeat, back to back
    f = a[0]
    rows.append({
        "shape": f"{f['n_layer']},{f['d_model']},{f['n_head']},{f['n_ctx']},{f['batch']},{f['vocab']}",
        "variants": f.get("variants", "layernorm+gelu+learned"),
        "repeats": len(ratios),
        "scalelab_tok_s": med(x["tokens_per_s"] for x in a),
        "peer_tok_s": med(y["tokens_per_s"] for y in b),
        "ratio": med(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "gflop_s": med(x["gflop_per_s"] for x in a),
        "mfu_pct": 100 * med(x["mfu"] for x in a),
        "rss_mb": med(x["peak_rss_mb"] for x in a),
        "peer_rss_mb": med(y["peak_rss_mb"] for y in b),
    })
cols = [("shape", 20, "s"), ("variants", 22, "s"), ("scalelab_tok_s", 14, ".0f"), ("peer_tok_s", 10, ".0f"),
        ("ratio", 6, ".2f"), ("ratio_min", 9, ".2f"), ("ratio_max", 9, ".2f"), ("gflop_s", 8, ".2f"),
        ("mfu_pct", 7, ".1f"), ("rss_mb", 6, ".0f"), ("peer_rss_mb", 11, ".0f")]
print(" ".join(f"{n:<{w}}" if t == "s" else f"{n:>{w}}" for n, w, t in cols))
for r in rows:
    print(" ".join(f"{r[n]:<{w}}" if t == "s" else f"{r[n]:>{w}{t}}" for n, w, t in cols))
if csv_path:
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["shape"])
        w.writeheader()
        w.writerows(rows)
PY
