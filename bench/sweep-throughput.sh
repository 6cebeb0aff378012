#!/usr/bin/env bash
# Wall time and throughput of a whole sweep, by execution mode: the quickstart's sweep
# (examples/kaplan-tiny.yaml, 8 runs: the quickstart until it moved to synthetic:v2) run from scratch into a fresh
# temporary directory once per mode:
#   sequential           `sweep run SPEC`: one run at a time, each in its own JVM
#   workers2             `sweep run SPEC --workers 2`   (only if `sweep run --help` lists --workers)
#   reuse-jvm            `sweep run SPEC --reuse-jvm`   (only if it lists --reuse-jvm)
#   workers2+reuse-jvm   both                           (only if it lists both)
# A mode whose option is absent is skipped with a note. REPEATS=R (default 1) runs every mode R times,
# the modes alternating within each repeat so that all see the same machine state; per mode it prints:
#   wall_s        seconds from starting `sweep run` to its exit (the median over the repeats), and
#   wall_min_s, wall_max_s   their range
#   (the columns below are medians over the repeats; startup_* over every run of every repeat)
#   tokens        training tokens, Σ_runs steps_done · tokens_per_step (results.csv)
#   tok_s         tokens / wall_s
#   train_s       Σ_runs wall_s: each run's own training-loop seconds (results.csv, else result.json)
#   overhead      1 − train_s / (wall_s · workers), workers = runs trained at once (1 unless --workers):
#                 the share of the available run slots not spent in a training loop (JVM starts, data
#                 and model set-up, results bookkeeping, idle slots at the end of a packed sweep)
#   startup_*     per run, from the sweep writing the run's run-config.json (just before it starts the
#                 run's JVM) to the start of its training loop, taken as result.json's mtime − wall_s:
#                 median, min, max over the runs. A mode that writes no run-config.json per run (runs
#                 in one JVM) has no such time stamp: "-" there.
#   max_dloss     max over run_id and repeats of |best_val_loss − the first sequential repeat's| (the modes must agree)
# Column names have no spaces: the table loads with pandas.read_csv(f, sep=r"\s+").
#   bash bench/sweep-throughput.sh
#   SPEC=examples/other.yaml SCALELAB="java -jar sweeps/target/scalelab.jar" bash bench/sweep-throughput.sh
#   REPEATS=3 bash bench/sweep-throughput.sh
#   KEEP=1 keeps the temporary sweep directories (their paths go to stderr).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCALELAB=${SCALELAB:-./scalelab}   # the launcher, or another command taking the same arguments
SPEC=${SPEC:-examples/kaplan-tiny.yaml}
KEEP=${KEEP:-}
REPEATS=${REPEATS:-1}
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "sweep-throughput.sh: REPEATS must be a positive integer, not '$REPEATS'" >&2; exit 2; }
$SCALELAB --version >/dev/null
help=$($SCALELAB sweep run --help 2>&1)
has() { grep -q -- "$1" <<<"$help"; }

modes=(sequential); workers=(1); margs=("")
if has --workers; then modes+=(workers2); workers+=(2); margs+=("--workers 2")
else echo "sweep-throughput.sh: sweep run has no --workers option: mode workers2 skipped" >&2; fi
if has --reuse-jvm; then modes+=(reuse-jvm); workers+=(1); margs+=("--reuse-jvm")
else echo "sweep-throughput.sh: sweep run has no --reuse-jvm option: mode reuse-jvm skipped" >&2; fi
if has --workers && has --reuse-jvm; then modes+=(workers2+reuse-jvm); workers+=(2); margs+=("--workers 2 --reuse-jvm"); fi

root=$(mktemp -d)
[[ -n $KEEP ]] || trap 'rm -rf "$root"' EXIT
summary=$root/modes.tsv   # mode <TAB> workers <TAB> wall seconds <TAB> sweep directory
: > "$summary"
for rep in $(seq 1 "$REPEATS"); do
  for k in "${!modes[@]}"; do
    dir=$root/${modes[$k]}-$rep
    read -r -a extra <<<"${margs[$k]}"
    echo "sweep-throughput.sh: repeat $rep/$REPEATS, ${modes[$k]}: sweep run $SPEC --dir $dir ${margs[$k]}" >&2
    t0=$(date +%s.%N)
    if ! $SCALELAB sweep run "$SPEC" --dir "$dir" "${extra[@]}" > "$dir.log" 2>&1; then
      echo "sweep-throughput.sh: ${modes[$k]} failed; its output:" >&2; tail -20 "$dir.log" >&2; exit 1
    fi
    t1=$(date +%s.%N)
    printf '%s\t%s\t%s\t%s\n' "${modes[$k]}" "${workers[$k]}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$dir" >> "$summary"
  done
done

python3 - "$summary" <<'PY'
import csv, json, os, statistics, sys

def runs(d):
    """run_id -> {tokens, train_s, best_val_loss, startup_s (None without run-config.json)}"""
    out = {}
    with open(os.path.join(d, "results.csv"), newline="") as fh:
        for row in csv.DictReader(fh):
            rid = row["run_id"]
            rdir = os.path.join(d, "runs", rid)
            res = {}
            rj = os.path.join(rdir, "result.json")
            if os.path.exists(rj):
                with open(rj) as f:
                    res = json.load(f)
            pick = lambda k: float(row[k]) if row.get(k) not in (None, "") else float(res[k])
            train_s = pick("wall_s")
            startup = None
            cfg = os.path.join(rdir, "run-config.json")
            if os.path.exists(cfg) and os.path.exists(rj):
                startup = os.path.getmtime(rj) - train_s - os.path.getmtime(cfg)
            out[rid] = {"status": row.get("status", res.get("status")),
                        "tokens": pick("steps_done") * pick("tokens_per_step"),
                        "train_s": train_s, "best": pick("best_val_loss"), "startup": startup}
    return out

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
order = []
by_mode = {}
for mode, w, wall, d in rows:
    if mode not in by_mode:
        order.append(mode)
        by_mode[mode] = []
    by_mode[mode].append((int(w), float(wall), d))
ref = None
cols = [("mode", 18, "s"), ("workers", 7, "d"), ("repeats", 7, "d"), ("runs", 4, "d"), ("wall_s", 7, ".1f"), ("wall_min_s", 10, ".1f"),
        ("wall_max_s", 10, ".1f"), ("tokens", 9, ".0f"), ("tok_s", 8, ".0f"), ("train_s", 7, ".1f"), ("overhead", 8, ".1%"),
        ("startup_med_s", 13, ".2f"), ("startup_min_s", 13, ".2f"), ("startup_max_s", 13, ".2f"), ("max_dloss", 9, ".2e")]
print(" ".join(f"{n:<{w}}" if t == "s" else f"{n:>{w}}" for n, w, t in cols))
notes = []
for mode in order:
    reps = by_mode[mode]
    w = reps[0][0]
    walls, trains, overheads, st, dls, tokens_all, nruns = [], [], [], [], [], [], 0
    complete = True
    for _, wall, d in reps:
        r = runs(d)
        nruns = len(r)
        bad = sorted(k for k, v in r.items() if v["status"] != "done")
        if bad:
            notes.append(f"{mode} ({d}): runs not done: {', '.join(bad)}")
        if ref is None:
            ref = r
        if set(r) != set(ref):
            notes.append(f"{mode}: run ids differ from sequential's: {sorted(set(r) ^ set(ref))}")
        common = set(r) & set(ref)
        dls.append(max((abs(r[k]["best"] - ref[k]["best"]) for k in common), default=float("nan")))
        train_s = sum(v["train_s"] for v in r.values())
        walls.append(wall)
        trains.append(train_s)
        overheads.append(1 - train_s / (wall * w))
        tokens_all.append(sum(v["tokens"] for v in r.values()))
        s_ = [v["startup"] for v in r.values() if v["startup"] is not None]
        complete = complete and len(s_) == len(r)
        st.extend(s_)
    wall = statistics.median(walls)
    row = {"mode": mode, "workers": w, "repeats": len(reps), "runs": nruns, "wall_s": wall, "wall_min_s": min(walls),
           "wall_max_s": max(walls), "tokens": statistics.median(tokens_all), "tok_s": statistics.median(tokens_all) / wall,
           "train_s": statistics.median(trains), "overhead": statistics.median(overheads),
           "startup_med_s": statistics.median(st) if complete and st else None,
           "startup_min_s": min(st) if complete and st else None,
           "startup_max_s": max(st) if complete and st else None, "max_dloss": max(dls)}
    print(" ".join(f"{row[n]:<{wd}}" if t == "s" else (f"{'-':>{wd}}" if row[n] is None else f"{row[n]:>{wd}{t}}")
                   for n, wd, t in cols))
for n in notes:
    print("note: " + n, file=sys.stderr)
PY
[[ -z $KEEP ]] || echo "sweep-throughput.sh: sweep directories kept under $root" >&2
