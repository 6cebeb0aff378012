package org.scalelab.sweeps;

import org.scalelab.datasets.UserError;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cluster jobs that run a sweep's shards on a shared directory: a Slurm job array (one array task per
 * shard) and a Kubernetes Indexed Job (one completion index per shard, the spec in a ConfigMap). Each
 * worker runs {@code scalelab sweep run SPEC --dir DIR --shard INDEX/COUNT}; the lock files in DIR keep
 * a requeued or duplicated worker from training a run twice.
 */
final class ClusterJobs {
    private ClusterJobs() {}

    /**
     * @param workers  array size / completions
     * @param cpus     CPUs per worker (also OMP_NUM_THREADS)
     * @param memMiB   memory per worker in MiB
     * @param gpus     GPUs per worker (0: none); a worker trains one run per GPU at once ({@code sweep run --gpus})
     * @param exe      the scalelab command on the workers
     * @param time     Slurm time limit ("" = the partition's default)
     * @param reuseJvm the worker trains its runs in one warm process per run slot ({@code sweep run --reuse-jvm})
     */
    record Settings(String name, int workers, int cpus, long memMiB, int gpus, String exe, String time, boolean reuseJvm) {
        Settings(String name, int workers, int cpus, long memMiB, int gpus, String exe, String time) {
            this(name, workers, cpus, memMiB, gpus, exe, time, false);
        }

        /** " --reuse-jvm" when the workers keep warm processes, else "". */
        String warm() {
            return reuseJvm ? " --reuse-jvm" : "";
        }

        /**
         * Each run's heap: about a quarter of the worker's memory (the run's process is capped at 3× its heap),
         * shared by the runs it trains at once, one per GPU.
         */
        String runMemory() {
            return Math.max(256, (long) (memMiB * 0.8 / 3 / Math.max(1, gpus))) + "m";
        }
    }

    /** "8G", "8Gi", "8192M", "500m" → MiB. */
    static long mebibytes(String mem) {
        String m = mem.trim().toUpperCase(Locale.ROOT).replaceAll("I?B?$", "");
        try {
            double v = Double.parseDouble(m.replaceAll("[KMGT]$", ""));
            double mib = switch (m.isEmpty() ? ' ' : m.charAt(m.length() - 1)) {
                case 'K' -> v / 1024;
                case 'G' -> v * 1024;
                case 'T' -> v * 1024 * 1024;
                case 'M' -> v;
                default -> v / (1024 * 1024); // bytes
            };
            if (mib >= 64) return (long) mib;
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw new UserError("--mem '" + mem + "': expected a size of at least 64M such as 8G, 8Gi or 12000M");
    }

    static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** An sbatch script: a job array of {@code workers} tasks, task i running shard i. */
    static String slurm(Settings s, Path spec, Path dir) {
        String abSpec = spec.toAbsolutePath().normalize().toString(), abDir = dir.toAbsolutePath().normalize().toString();
        List<String> l = new ArrayList<>(List.of(
                "#!/bin/bash",
                "# ScaleLab sweep '" + s.name() + "': " + s.workers() + " workers of a Slurm job array on one shared directory.",
                "#   submit: sbatch THIS_FILE        watch: scalelab sweep status " + abDir,
                "# Array task i trains shard i of " + s.workers() + "; runs are also claimed with lock files in the directory, so a",
                "# requeued or repeated task never trains a run twice, and a task killed mid-run is resumed by the next one.",
                "#SBATCH --job-name=scalelab-" + s.name(),
                "#SBATCH --array=0-" + (s.workers() - 1),
                "#SBATCH --cpus-per-task=" + s.cpus(),
                "#SBATCH --mem=" + s.memMiB() + "M"));
        if (s.gpus() > 0) l.add("#SBATCH --gres=gpu:" + s.gpus());
        if (!s.time().isEmpty()) l.add("#SBATCH --time=" + s.time());
        l.addAll(List.of(
                "#SBATCH --signal=B:TERM@120",
                "#SBATCH --output=scalelab-" + s.name() + "-%A_%a.out",
                "set -euo pipefail",
                "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-" + s.cpus() + "}",
                "export SCALELAB_JAVA_OPTS=\"${SCALELAB_JAVA_OPTS:--Xmx1g}\"   # the sweep process; each run gets --run-memory",
                "mkdir -p " + shellQuote(abDir),
                "exec " + s.exe() + " sweep run " + shellQuote(abSpec) + " --dir " + shellQuote(abDir)
                        + " --shard \"${SLURM_ARRAY_TASK_ID}/" + s.workers() + "\" --run-memory " + s.runMemory() + s.warm()
                        + (s.gpus() > 0 ? " --gpus auto   # one run per GPU of the allocation (CUDA_VISIBLE_DEVICES)" : ""),
                ""));
        return String.join("\n", l);
    }

    /** A ConfigMap holding the spec and an Indexed Job of {@code workers} pods on a shared volume. */
    static String k8s(Settings s, String specText, Path dir, String image, String pvc, String mount) {
        String abDir = dir.normalize().toString();
        if (!abDir.startsWith(mount.endsWith("/") ? mount : mount + "/")) {
            throw new UserError("--dir " + abDir + ": must lie inside the shared volume, mounted at " + mount + " (--mount)");
        }
        String name = "scalelab-" + s.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        if (name.length() > 52) name = name.substring(0, 52);
        name = name.replaceAll("-+$", "");
        String mem = s.memMiB() + "Mi";
        String cmd = "exec " + s.exe() + " sweep run /etc/scalelab/sweep.yaml --dir " + shellQuote(abDir)
                + " --shard $JOB_COMPLETION_INDEX/" + s.workers() + " --run-memory " + s.runMemory() + s.warm()
                + (s.gpus() > 0 ? " --gpus " + devices(s.gpus()) : "");
        List<String> l = new ArrayList<>(List.of(
                "# ScaleLab sweep '" + s.name() + "': " + s.workers() + " workers of a Kubernetes Indexed Job on one shared volume.",
                "#   apply: kubectl apply -f THIS_FILE     logs: kubectl logs -l job-name=" + name + " --prefix -f",
                "# Pod i trains shard i; runs are also claimed with lock files on the volume, so a restarted pod resumes",
                "# the run it was killed in and never trains a finished one again. The volume (claim '" + pvc + "') must be",
                "# ReadWriteMany, mounted by every pod.",
                "apiVersion: v1",
                "kind: ConfigMap",
                "metadata:",
                "  name: " + name + "-spec",
                "data:",
                "  sweep.yaml: |"));
        for (String line : specText.split("\n", -1)) l.add(line.isEmpty() ? "" : "    " + line);
        while (l.get(l.size() - 1).isEmpty()) l.remove(l.size() - 1);
        l.addAll(List.of(
                "---",
                "apiVersion: batch/v1",
                "kind: Job",
                "metadata:",
                "  name: " + name,
                "spec:",
                "  completionMode: Indexed",
                "  completions: " + s.workers(),
                "  parallelism: " + s.workers(),
                "  backoffLimit: " + (2 * s.workers()),
                "  template:",
                "    metadata:",
                "      labels: {app: scalelab, sweep: " + name + "}",
                "    spec:",
                "      restartPolicy: OnFailure",
                "      terminationGracePeriodSeconds: 150   # time to checkpoint the current run on eviction",
                "      containers:",
                "        - name: worker",
                "          image: " + image,
                "          command: [\"sh\", \"-c\", " + jsonString(cmd) + "]",
                "          env:",
                "            - {name: OMP_NUM_THREADS, value: \"" + s.cpus() + "\"}",
                "            - {name: SCALELAB_JAVA_OPTS, value: \"-Xmx1g\"}",
                "          resources:",
                "            requests: {cpu: \"" + s.cpus() + "\", memory: \"" + mem + "\"}",
                "            limits: {memory: \"" + mem + "\"" + (s.gpus() > 0 ? ", nvidia.com/gpu: " + s.gpus() : "") + "}",
                "          volumeMounts:",
                "            - {name: spec, mountPath: /etc/scalelab, readOnly: true}",
                "            - {name: shared, mountPath: " + jsonString(mount) + "}",
                "      volumes:",
                "        - name: spec",
                "          configMap: {name: " + name + "-spec}",
                "        - name: shared",
                "          persistentVolumeClaim: {claimName: " + pvc + "}",
                ""));
        return String.join("\n", l);
    }

    /** "0,1,2": the devices a pod given {@code g} GPUs sees (the device plugin numbers them from 0 in the container). */
    static String devices(int g) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < g; i++) l.add(Integer.toString(i));
        return String.join(",", l);
    }

    static String jsonString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
