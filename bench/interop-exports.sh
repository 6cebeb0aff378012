#!/usr/bin/env bash
# Trains four small runs on tiny Shakespeare (40 steps each: the weights need not be good, only not
# initial) and exports each with --reference, for bench/interop_check.py to load in transformers and
# nanoGPT and compare with ScaleLab's logits:
#   a-gpt2    GPT-2 variants, gpt2 tokenizer          -> --format hf (GPT2LMHeadModel + tokenizer files)
#   b-llama   rmsnorm+swiglu+rope, untied, no biases, byte tokenizer -> --format hf (LlamaForCausalLM)
#   c-untied  GPT-2 variants, untied, no biases, dFf=96, char        -> --format hf (zero biases, n_inner)
#   d-nano    GPT-2 variants, char                    -> --format hf and --format nanogpt
# Usage: bash bench/interop-exports.sh [OUT_DIR] [CORPUS]   (defaults: target/interop, ../shared/corpora/tinyshakespeare.txt)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${1:-target/interop}
CORPUS=${2:-../shared/corpora/tinyshakespeare.txt}
[ -f "$CORPUS" ] || { echo "interop-exports.sh: corpus $CORPUS not found; pass a text file as the second argument" >&2; exit 2; }
mkdir -p "$OUT"
common=(--config examples/shakespeare-char.yaml --set "data.corpus=$CORPUS" --set train.steps=40 --set train.batchSize=8
        --set train.evalEvery=20 --set train.checkpointEvery=20 --set train.warmupSteps=5)
train() { local name=$1; shift; [ -f "$OUT/runs/$name/result.json" ] || ./scalelab train --out "$OUT/runs/$name" "${common[@]}" "$@" >/dev/null; }
train a-gpt2 --set data.tokenizer=gpt2
train b-llama --set data.tokenizer=byte --set model.norm=rmsnorm --set model.mlp=swiglu --set model.position=rope \
  --set model.bias=false --set model.tiedOutput=false
train c-untied --set model.bias=false --set model.tiedOutput=false --set model.dFf=96
train d-nano
for r in a-gpt2 b-llama c-untied d-nano; do ./scalelab export --run "$OUT/runs/$r" --format hf --out "$OUT/$r-hf" --reference; done
./scalelab export --run "$OUT/runs/d-nano" --format nanogpt --out "$OUT/d-nano-nanogpt" --reference
echo "exports in $OUT; check them with: python3 bench/interop_check.py $OUT/*-hf $OUT/*-nanogpt --nanogpt-model PATH/TO/nanoGPT/model.py"
