#!/usr/bin/env bash
# End-to-end test of the Slurm path on a real single-node Slurm started on this machine (as root):
# `scalelab sweep emit slurm` writes an sbatch array of 2 workers, `sbatch --wait` runs it, and every run
# of the 4-run sweep must end done and claimed exactly once. Installs slurm-wlm and munge when missing.
# Run by .ci/run after the unit tests when it runs as root (it needs root, daemons and about a minute):
#   bash .ci/slurm-test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
if ! command -v slurmctld >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
work=$(mktemp -d /tmp/scalelab-slurm.XXXXXX)
chmod 755 "$work"   # munged runs as the munge user
host=$(hostname -s)
cleanup() {
  for pid in "$work"/slurmd.pid "$work"/slurmctld.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true; done
  [ -f "$work/munge/munged.pid" ] && kill "$(cat "$work/munge/munged.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# munge: a key owned by munge, the daemon on its own socket
mkdir -p /etc/munge /run/munge "$work/munge"
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
chown -R munge:munge /etc/munge /run/munge "$work/munge"; chmod 400 /etc/munge/munge.key
runuser -u munge -- munged --force --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --socket=/run/munge/munge.socket.2 --seed-file="$work/munge/seed"

mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=scalelab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host CPUs=2 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 1; done
sinfo -h -o "%n %t" | grep -q idle || { echo "slurm did not come up"; tail -20 "$work"/slurm*.log; exit 1; }

./scalelab --version >/dev/null                      # builds the jar once, before the workers start
cat > "$work/spec.yaml" <<SPEC
name: slurm-test
base:
  data: {corpus: "synthetic:tokens=20000,val=2000"}
  model: {nLayer: 1, dModel: 16, nHead: 2, nCtx: 16}
  train: {steps: 6, batchSize: 4, warmupSteps: 1, evalEvery: 3, evalBatches: 1}
grid:
  train.seed: [1, 2, 3, 4]
SPEC
./scalelab sweep emit slurm "$work/spec.yaml" --workers 2 --cpus 1 --mem 2G --dir "$work/sweep" \
  --scalelab "$repo/scalelab" > "$work/job.sbatch"
(cd "$work" && timeout 600 sbatch --wait job.sbatch) || { echo "the sbatch array did not finish in 10 minutes"; tail -20 "$work"/slurm*.log; exit 1; }

done_runs=$(awk -F, 'NR > 1 && $2 == "done"' "$work/sweep/results.csv" | wc -l)
claims=$(cat "$work"/sweep/runs/*/claims.log | wc -l)
echo "slurm sweep: $done_runs of 4 runs done, $claims claims"
[ "$done_runs" = 4 ] && [ "$claims" = 4 ] && echo "1 passed, 0 failed" || { echo "0 passed, 1 failed"; exit 1; }
