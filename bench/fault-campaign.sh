#!/usr/bin/env bash
# Fault injection for `sweep run`: a 6-run sweep of tiny models on the synthetic corpus (each run in its
# own JVM, a checkpoint every 50 steps) is trained once without interruption as the reference, then again
# in another directory with its process group SIGKILLed at KILLS random moments (during start-up, in the
# middle of a run, just after a run wrote result.json), resumed after every kill until it completes; then
# two workers start together on a fresh directory and one of them is killed once. Prints what was lost,
# what was trained twice, how many steps each kill cost, and whether every result and metrics line equals
# the uninterrupted sweep's (within 1e-6). About 5 minutes on 2 cores with 20 kills (Linux: it reads /proc).
#   bash bench/fault-campaign.sh              # 20 kills
#   bash bench/fault-campaign.sh 50           # KILLS kills
#   SEED=7 bash bench/fault-campaign.sh       # other kill moments (default seed 1)
#   WORK=/tmp/fc bash bench/fault-campaign.sh # keep the sweeps there (default: a new temporary folder)
# SCALELAB is the command (default: ./scalelab, which builds the jar when sources changed; the jar is then
# copied into WORK, so that a rebuild while the campaign runs cannot change what it measures).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KILLS=${1:-20}
[[ $KILLS =~ ^[0-9]+$ ]] || { echo "usage: bash bench/fault-campaign.sh [KILLS]   (KILLS: a whole number, default 20)" >&2; exit 2; }
RANDOM=${SEED:-1}
WORK=${WORK:-$(mktemp -d /tmp/fault-campaign.XXXXXX)}
mkdir -p "$WORK"
for d in reference killed two-workers; do
  [[ ! -e $WORK/$d ]] || { echo "fault-campaign: $WORK/$d exists (an earlier campaign); set WORK to a new or empty folder" >&2; exit 2; }
done
if [[ -z ${SCALELAB:-} ]]; then
  ./scalelab --version >/dev/null
  cp sweeps/target/scalelab.jar "$WORK/scalelab.jar"
  SCALELAB="java ${SCALELAB_JAVA_OPTS:--Xmx1g} -jar $WORK/scalelab.jar"
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
set -m   # every worker in its own process group: kill -9 -PGID takes its training process with it

SPEC=$WORK/spec.yaml
cat > "$SPEC" <<'EOF'
name: fault-campaign
base:
  data: {corpus: synthetic}
  model: {nCtx: 64, nHead: 2}
  train: {steps: 1000, batchSize: 16, lr: 3.0e-3, warmupSteps: 30, evalEvery: 50, evalBatches: 2, logEvery: 1, checkpointEvery: 50}
zip:
  model.nLayer: [1, 1, 1, 2, 2, 2]
  model.dModel: [16, 24, 32, 16, 24, 32]
EOF

cat > "$WORK/campaign.py" <<'PY'
import json, os, sys
from datetime import datetime

def ids(ref):
    return sorted(os.listdir(os.path.join(ref, "runs")))

def lines(f):
    try:
        with open(f) as h:
            return [l.rstrip("\n") for l in h if l.strip()]
    except FileNotFoundError:
        return []

def metrics(run):
    out = []
    for l in lines(os.path.join(run, "metrics.jsonl")):
        try:
            out.append(json.loads(l))
        except ValueError:
            pass  # torn by a kill: the resumed run cuts it
    return out

def result(run):
    try:
        with open(os.path.join(run, "result.json")) as h:
            return json.load(h)
    except (FileNotFoundError, ValueError):
        return None

def snapshot(ref, d):
    snap = {}
    for i in ids(ref):
        run = os.path.join(d, "runs", i)
        m, r = metrics(run), result(run)
        try:
            ck = int(open(os.path.join(run, "checkpoint", "LATEST")).read().strip().split("-")[1])
        except (FileNotFoundError, IndexError, ValueError):
            ck = 0
        mf = os.path.join(run, "metrics.jsonl")
        snap[i] = {"claims": len(lines(os.path.join(run, "claims.log"))), "done": bool(r) and r.get("status") == "done",
                   "ckpt": ck > 0, "ck": ck, "last": m[-1]["step"] if m else 0,
                   "mtime": os.stat(mf).st_mtime_ns if os.path.exists(mf) else 0,
                   "lock": os.path.exists(os.path.join(run, ".lock"))}
    return snap

def observe(ref, d, state_file, kind):
    """After a kill (or, kind 'final', after the last invocation): steps redone, runs trained twice since the last look."""
    state = json.load(open(state_file)) if os.path.exists(state_file) else {"runs": {}, "kills": [], "twice": []}
    snap, prev = snapshot(ref, d), state["runs"]
    for i, p in prev.items():
        new = lines(os.path.join(d, "runs", i, "claims.log"))[p["claims"]:]
        if (p["done"] and new) or (p["ckpt"] and any(l.endswith(" start") for l in new)):
            state["twice"] = sorted(set(state["twice"]) | {i})
    if kind != "final":
        redone, trained, left = 0, False, 0
        for i, s in snap.items():
            p = prev.get(i)
            moved = p is None or (s["last"], s["ck"], s["mtime"]) != (p["last"], p["ck"], p["mtime"])
            if not s["done"] and moved and s["last"] > s["ck"]:
                redone += s["last"] - s["ck"]
            # steps logged by the invocation just killed: past where it started this run (0, or the checkpoint it resumed)
            base = p["ck"] if p and not p["done"] else 0
            trained = trained or (moved and s["last"] > base) or (s["done"] and not (p and p["done"]))
            left += s["done"] and s["lock"] and not (p and p["done"] and p["lock"])
        state["kills"].append({"kind": kind, "redone": redone, "trained": trained, "lock_in_done": left})
    state["runs"] = snap
    json.dump(state, open(state_file, "w"))

def same(a, b, tol=1e-6):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tol
    return a == b

def compare(ref, d):
    """(runs equal, runs, metrics lines equal, metrics lines): results and curves against the reference."""
    runs_eq = lines_eq = n_lines = 0
    for i in ids(ref):
        a, b = os.path.join(ref, "runs", i), os.path.join(d, "runs", i)
        ra, rb = result(a) or {}, result(b) or {}
        ok = rb.get("status") == "done" and all(same(ra.get(k), rb.get(k)) for k in
                ("final_val_loss", "best_val_loss", "final_train_loss", "best_step", "steps_done"))
        ma, mb = metrics(a), metrics(b)
        n_lines += len(ma)
        eq = sum(all(same(x.get(k), y.get(k)) for k in ("step", "tokens", "train_loss", "val_loss", "lr", "grad_norm"))
                 for x, y in zip(ma, mb))
        lines_eq += eq if len(ma) == len(mb) else min(eq, len(ma) - 1)
        runs_eq += ok and eq == len(ma) == len(mb)
    return runs_eq, len(ids(ref)), lines_eq, n_lines

def when(s):  # claims.log and `date` times, ISO-8601 with up to nanoseconds
    s = s.rstrip("Z")
    if "." in s:
        s = s[:s.index(".") + 7]
    return datetime.fromisoformat(s)

def duplicates(ref, d, at_kill, killed_pid, kill_time):
    """Runs trained twice with two workers: every claim past a run's first, except the one take-over of the
    run the killed worker was training (its last claim, on a run not done when it died)."""
    claims = {i: [l.split(" ") for l in lines(os.path.join(d, "runs", i, "claims.log"))] for i in ids(ref)}
    last = None
    for i, cs in claims.items():
        for c in cs:
            if c[0].startswith(killed_pid + "@") and (last is None or when(c[1]) > last[1]):
                last = (i, when(c[1]))
    held = last[0] if last and not at_kill["runs"][last[0]]["done"] else None
    extra, took_over = 0, None
    for i, cs in claims.items():
        n = len(cs) - 1
        if i == held and n == 1 and when(cs[1][1]) > when(kill_time):
            n, took_over = 0, i
        extra += max(0, n)
    return extra, held, took_over

def steps(ref, d):
    """Metrics steps logged twice (two writers in one run)."""
    return sum(len(m) - len({x["step"] for x in m}) for m in (metrics(os.path.join(d, "runs", i)) for i in ids(ref)))

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "observe":
        observe(*args)
    elif cmd == "report":
        ref, d1, d2, state_file, at_kill_file, killed_pid, kill_time = args
        st = json.load(open(state_file))
        snap = snapshot(ref, d1)
        kills = st["kills"]
        by = {k: sum(x["kind"] == k for x in kills) for k in ("start-up", "mid-run", "after-result")}
        redone = [x["redone"] for x in kills]
        lost = [i for i, s in snap.items() if not s["done"]]
        left = sum(s["lock"] for s in snap.values()) + sum(s["lock"] for s in snapshot(ref, d2).values())
        r1, n1, l1, m1 = compare(ref, d1)
        r2, n2, l2, m2 = compare(ref, d2)
        dup, held, took = duplicates(ref, d2, json.load(open(at_kill_file)), killed_pid, kill_time)
        print(f"kills:                        {len(kills)} ({by['start-up']} during start-up, {by['mid-run']} mid-run, "
              f"{by['after-result']} just after a run's result.json)")
        print(f"kills after training steps:   {sum(x['trained'] for x in kills)} (the invocation killed had logged steps)")
        print(f"kills that left a lock in a done run: {sum(x['lock_in_done'] > 0 for x in kills)} (between result.json and the release)")
        print(f"runs lost:                    {len(lost)} of {n1}{' ' + ', '.join(lost) if lost else ''}")
        print(f"runs trained twice:           {len(st['twice'])}{' ' + ', '.join(st['twice']) if st['twice'] else ''} "
              "(a done run claimed again, or a run with a checkpoint started over)")
        if redone:
            print(f"steps redone per kill:        max {max(redone)}, mean {sum(redone) / len(redone):.1f}, total {sum(redone)} "
                  f"(checkpoint every 50 steps; {result(os.path.join(ref, 'runs', ids(ref)[0]))['steps']} steps per run)")
        print(f"two workers, one killed:      it held {held or 'no run'}; taken over by the other: {took or 'none'}")
        print(f"duplicates with two workers:  {dup} runs trained twice, {steps(ref, d2)} steps logged twice")
        print(f"locks left after the sweeps:  {left}")
        print(f"equal to the uninterrupted sweep (final/best val loss, final train loss, best step; metrics lines: "
              f"step, tokens, train_loss, val_loss, lr, grad_norm; within 1e-6):")
        print(f"  kill phase:                 {r1} of {n1} runs, {l1} of {m1} metrics lines")
        print(f"  two workers:                {r2} of {n2} runs, {l2} of {m2} metrics lines")
PY
PY="python3 $WORK/campaign.py"

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
done_runs() { local n=0 f; for f in "$1"/runs/*/result.json; do [[ -f $f ]] && grep -q '"status" : "done"' "$f" && n=$((n + 1)); done; echo $n; }
results() { local n=0 f; for f in "$1"/runs/*/result.json; do [[ -f $f ]] && n=$((n + 1)); done; echo $n; }
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
training() { local f; for f in "$1"/runs/*/metrics.jsonl; do [[ $f -nt $WORK/launched ]] && return 0; done; return 1; }
# worker DIR LOG: starts `sweep run` in the background, in its own process group; its pid in WPID
worker() { $SCALELAB sweep run "$SPEC" --dir "$1" --run-memory 1g >>"$2" 2>&1 & WPID=$!; }
# running and not a zombie (Linux /proc)
alive() { local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1; [[ -n $st && $st != Z ]]; }
# reap PID: waits for a worker; its exit code in RC
reap() { RC=0; { wait "$1"; } 2>/dev/null || RC=$?; }
# pick LO_MS HI_MS: a random delay in milliseconds in DELAY_MS (drawn here, not in a subshell, so SEED repeats it)
pick() { DELAY_MS=$(( $1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1) )); }
sleep_ms() { sleep "$(( $1 / 1000 )).$(printf '%03d' $(( $1 % 1000 )))"; }

# ---- the reference: the same sweep, uninterrupted ------------------------------------------------------
REF=$WORK/reference
t0=$(date +%s)
worker "$REF" "$WORK/reference.log"
reap $WPID
[[ $RC == 0 && $(done_runs "$REF") == 6 ]] || { echo "fault-campaign: the reference sweep failed (exit $RC); see $WORK/reference.log" >&2; exit 1; }
ref_time=$(elapsed $t0)

# ---- kills, one worker ---------------------------------------------------------------------------------
# Kill moments by kind, in a fixed proportion: 1 in 5 at 0-3 s after the launch (start-up: the sweep's JVM,
# its plan, the run's JVM and data; on a busy machine some land later), 3 in 5 at 0-4 s after this
# invocation logged its first training step (mid-run), 1 in 5 at 0-60 ms after a run wrote result.json
# (the lock is released about 50 ms later, then results.csv is rebuilt). A kill of the last kind waits for
# a run to finish, so these are kept rare enough that the sweep does not complete before the kills are spent.
D1=$WORK/killed
STATE=$WORK/kills.json
t1=$(date +%s)
kills=0; invocations=0; waited=0
while (( kills < KILLS && invocations < 3 * KILLS + 10 )) && [[ $(done_runs "$D1") != 6 ]]; do
  case $((kills % 5)) in
    0) kind=start-up; pick 0 3000 ;;
    4) kind=after-result; pick 0 60 ;;
    *) kind=mid-run; pick 0 4000 ;;
  esac
  log=$WORK/killed.$invocations.log
  before=$(results "$D1")
  touch "$WORK/launched"; sleep 0.01   # metrics.jsonl newer than this: this invocation is training
  started=$(now_us)
  worker "$D1" "$log"; invocations=$((invocations + 1))
  case $kind in
    after-result)
      while alive $WPID && (( $(results "$D1") <= before )); do sleep 0.005; done
      sleep_ms $DELAY_MS ;;
    mid-run)
      while alive $WPID && ! training "$D1"; do sleep 0.02; done
      sleep_ms $DELAY_MS ;;
    start-up)
      while alive $WPID && (( $(now_us) - started < DELAY_MS * 1000 )); do sleep 0.02; done ;;
  esac
  if alive $WPID; then
    kill -9 -- -"$WPID" 2>/dev/null || true
    kills=$((kills + 1))
    reap $WPID
    $PY observe "$REF" "$D1" "$STATE" "$kind"
  else
    reap $WPID   # it finished before the kill
  fi
  if grep -q '^waiting for ' "$log"; then waited=$((waited + 1)); fi
done
log=$WORK/killed.$invocations.log
worker "$D1" "$log"; invocations=$((invocations + 1))
reap $WPID; rc_last=$RC
if grep -q '^waiting for ' "$log"; then waited=$((waited + 1)); fi
$PY observe "$REF" "$D1" "$STATE" final
kill_phase_time=$(elapsed $t1)

# ---- two workers on one fresh directory, one of them killed once --------------------------------------
D2=$WORK/two-workers
t2=$(date +%s)
worker "$D2" "$WORK/worker-a.log"; A=$WPID
worker "$D2" "$WORK/worker-b.log"; B=$WPID
pick 4000 20000
sleep_ms $DELAY_MS
a_killed_at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
if alive $A; then
  kill -9 -- -"$A" 2>/dev/null || true
  a_note="killed $((DELAY_MS / 1000)).$(( DELAY_MS % 1000 / 100 )) s after the start"
else
  a_note="finished before its kill"
fi
reap $A
$PY observe "$REF" "$D2" "$WORK/two-workers.json" mid-run   # which runs were done when A died
reap $B; rc_b=$RC
two_time=$(elapsed $t2)

echo "fault campaign: $KILLS kills asked for, seed ${SEED:-1}, in $WORK"
echo "sweep:                        6 runs (nLayer 1-2, dModel 16-32, 1000 steps of 16x64 tokens, checkpoint every 50), synthetic corpus, one JVM per run"
echo "reference (uninterrupted):    6 done in $ref_time"
echo "kill phase:                   $invocations invocations in $kill_phase_time, the last one exit $rc_last; invocations that waited for a lock: $waited"
(( kills == KILLS )) || echo "                              only $kills kills: the sweep completed before the others"
echo "two workers:                  A $a_note; B exit $rc_b with $(done_runs "$D2") of 6 runs done, in $two_time; B waited for a lock: $(grep -c '^waiting for ' "$WORK/worker-b.log" || true) times"
$PY report "$REF" "$D1" "$D2" "$STATE" "$WORK/two-workers.json" "$A" "$a_killed_at"
