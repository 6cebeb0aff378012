#!/usr/bin/env bash
# Times Chinchilla approach 3 as the paper runs it: L-BFGS from the full 4500-point grid plus 1000
# bootstrap replicates, on the same 250 runs as `scalelab fit --benchmark` (the Benchmark class):
# a 10 × 25 log grid of N in 1e7..1e10 and D in 1e9..1e12, losses from Besiroglu et al.'s refit
# (E = 1.8172, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658) with 1% multiplicative noise
# (awk's generator here, SplittableRandom there: same design, different draws).
# 1) the command end to end on a CSV (JVM start included), 2) the steady-state split from --benchmark.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk 'BEGIN { srand(1); print "run_id,status,N,D,best_val_loss"; k = 0;
  for (i = 0; i < 10; i++) for (j = 0; j < 25; j++) {
    n = 1e7 * 1000^(i / 9); d = 1e9 * 1000^(j / 24);
    l = 1.8172 + 482.01 / n^0.3478 + 2085.43 / d^0.3658;
    u1 = rand(); u2 = rand(); z = sqrt(-2 * log(1 - u1)) * cos(6.283185307 * u2);
    printf "r%d,done,%.0f,%.0f,%.6f\n", k++, n, d, l * exp(0.01 * z) } }' > "$dir/results.csv"
echo "== scalelab fit (250 runs, 4500 starts, 1000 bootstrap replicates), wall time including the JVM:"
start=$(date +%s.%N)
./scalelab fit "$dir" --laws chinchilla --bootstrap 1000 --holdout 0
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "wall: %.1f s on %d cores\n", e - s, '"$(nproc)"' }'
echo "== scalelab fit --benchmark (same design, after JIT warm-up):"
./scalelab fit --benchmark --bootstrap 1000
