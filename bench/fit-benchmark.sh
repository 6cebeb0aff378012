#!/usr/bin/env bash
# Times Chinchilla approach 3 as the paper runs it: L-BFGS from the full 4500-point grid plus 1000
# bootstrap replicates, on a 8 × 8 grid of (N, D) drawn from the published law with 1% noise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=$(mktemp -d)
awk 'BEGIN { srand(1); print "run_id,status,N,D,best_val_loss"; i = 0;
  for (a = 0; a < 8; a++) for (b = 0; b < 8; b++) {
    n = 1e7 * 2.7^a; d = 1e9 * 2.7^b;
    l = 1.69 + 406.4 / n^0.34 + 410.7 / d^0.28;
    u1 = rand(); u2 = rand(); z = sqrt(-2 * log(1 - u1)) * cos(6.283185307 * u2);
    printf "r%d,done,%.0f,%.0f,%.6f\n", i++, n, d, l * exp(0.01 * z) } }' > "$dir/results.csv"
./scalelab fit "$dir" --laws chinchilla --bootstrap 1000 --holdout 0
rm -rf "$dir"
