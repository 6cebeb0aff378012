#!/usr/bin/env bash
# Streaming preparation of a corpus much larger than the heap: generates a text corpus of SIZE_MB
# megabytes (default 2048) from a seed file, then runs `data prepare` on it with a small heap and
# prints the throughput and the peak resident memory.
#   bash bench/prepare-benchmark.sh                               # 2 GB, char tokenizer, -Xmx512m
#   SIZE_MB=500 TOKENIZER=bpe:2048 bash bench/prepare-benchmark.sh
#   SEED_TEXT=path/to/any.txt bash bench/prepare-benchmark.sh     # default: ../shared's tiny Shakespeare
# Needs about 3×SIZE_MB of free disk under WORK (default: a temporary folder, removed afterwards).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZE_MB=${SIZE_MB:-2048}
TOKENIZER=${TOKENIZER:-char}
HEAP=${HEAP:-512m}
SEED_TEXT=${SEED_TEXT:-../shared/corpora/tinyshakespeare.txt}
WORK=${WORK:-$(mktemp -d)}
./scalelab --version >/dev/null
[ -f "$SEED_TEXT" ] || { echo "no seed text $SEED_TEXT; set SEED_TEXT=any UTF-8 text file" >&2; exit 2; }
corpus="$WORK/corpus.txt"
echo "generating $SIZE_MB MB of text in $corpus from $SEED_TEXT ..." >&2
python3 - "$SEED_TEXT" "$corpus" "$SIZE_MB" <<'PY'
import random, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines(keepends=True)
target = int(sys.argv[3]) << 20
rng = random.Random(1)
written = 0
with open(sys.argv[2], "w", encoding="utf-8") as out:
    while written < target:
        # blocks of 64 consecutive lines from random places: real text, no exact repetition of the file
        i = rng.randrange(len(lines))
        block = "".join(lines[i:i + 64])
        out.write(block)
        written += len(block.encode("utf-8"))
PY
echo "preparing with -Xmx$HEAP, tokenizer $TOKENIZER ..." >&2
SCALELAB_JAVA_OPTS="-Xmx$HEAP" /usr/bin/time -v ./scalelab data prepare --corpus "$corpus" --tokenizer "$TOKENIZER" \
  --out "$WORK/store" -q 2> "$WORK/time.txt" | tee "$WORK/prepare.txt"
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
echo "source $(du -m "$corpus" | cut -f1) MB, heap -Xmx$HEAP, peak RSS $((rss / 1024)) MB"
./scalelab data info "$WORK/store" | head -20
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
