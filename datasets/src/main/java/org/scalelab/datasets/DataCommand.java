package org.scalelab.datasets;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code scalelab data …}: prepare token stores, describe corpora, list and download the catalogue. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Corpora: prepare token stores, describe what a run would train on, download well-known corpora.",
        subcommands = {DataCommand.Prepare_.class, DataCommand.Info.class, DataCommand.CatalogCmd.class, DataCommand.DownloadCmd.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = "Tokenize a corpus into a token store folder (train.bin, val.bin, their .meta.json, tokenizer.json; meta.pkl for char).",
            footer = {"", "CORPUS is a text file, a folder, a glob, FILE.jsonl[#field], - (stdin), a catalogue name or synthetic[:settings].",
                    "", "Examples:",
                    "  scalelab data prepare --corpus tinyshakespeare --tokenizer char --out data/shakespeare_char",
                    "  scalelab data prepare --corpus input.txt --tokenizer char --split nanogpt --out data/shakespeare_char",
                    "  scalelab data prepare --corpus tinyshakespeare --tokenizer gpt2 --out data/shakespeare",
                    "  scalelab data prepare --corpus 'books/*.txt' --tokenizer bpe:4096 --out data/books",
                    "  scalelab data prepare --corpus stories.jsonl#body --tokenizer gpt2 --split docs --out data/stories",
                    "  zcat dump.txt.gz | scalelab data prepare --corpus - --tokenizer byte --out data/dump",
                    "  scalelab data prepare --corpus synthetic:tokens=50000000 --out data/synthetic-50M",
                    "  scalelab data prepare --corpus synthetic:v2,tokens=50000000 --out data/synthetic2-50M   # the first 50 M tokens of v2"})
    static final class Prepare_ implements Callable<Integer> {
        @Option(names = "--corpus", required = true, paramLabel = "CORPUS", description = "What to tokenize (see below).") String corpus;
        @Option(names = "--tokenizer", defaultValue = "char", paramLabel = "KIND",
                description = "char, byte, bpe:VOCAB (e.g. bpe:2048) or gpt2 (default: ${DEFAULT-VALUE}).") String tokenizer;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "The store folder to write.") Path out;
        @Option(names = "--val-fraction", defaultValue = "0.1", description = "Held-out fraction of tokens (tail), documents (docs) or characters (nanogpt) (default: ${DEFAULT-VALUE}).") double valFraction;
        @Option(names = "--split", defaultValue = "auto", paramLabel = "HOW",
                description = "tail: the last tokens; docs: whole documents by seeded hash; nanogpt: one text file cut at character int(n*(1-f)), "
                        + "each side encoded on its own, as nanoGPT's prepare.py; auto: docs for JSONL and separated documents, else tail "
                        + "(default: ${DEFAULT-VALUE}).") String split;
        @Option(names = "--seed", defaultValue = "1234", description = "Seed of the docs split (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--on-invalid", defaultValue = "error", paramLabel = "WHAT",
                description = "Invalid UTF-8: error (name the byte offset), replace (by U+FFFD, counted) or keep (raw bytes; byte tokenizer only) (default: ${DEFAULT-VALUE}).") String onInvalid;
        @Option(names = "--bpe-sample", defaultValue = "256MB", paramLabel = "SIZE",
                description = "Characters of the corpus' beginning a bpe vocabulary is trained on; 0 = all (default: ${DEFAULT-VALUE}).") String bpeSample;
        @Option(names = "--force", description = "Replace DIR if it exists (only once the new store is complete).") boolean force;
        @Option(names = {"-q", "--quiet"}, description = "No progress bars.") boolean quiet;

        @Override
        public Integer call() throws IOException {
            Prepare.Options o = new Prepare.Options(tokenizer, valFraction, Prepare.Split.parse(split), seed, OnInvalid.parse(onInvalid),
                    parseSize(bpeSample, "--bpe-sample"), quiet);
            Tokenizers.parse(tokenizer);
            Path spooled = null;
            String source = corpus;
            try {
                if (corpus.equals("-")) {
                    spooled = spoolStdin(out.toAbsolutePath().normalize().getParent(), quiet);
                    source = spooled.toString();
                }
                Prepare.Report r = Prepare.toStore(source, o, out, force);
                System.out.printf(Locale.ROOT, "%s: %,d train + %,d val tokens, %s, vocabulary %,d (%s), %,d documents%n",
                        r.out(), r.trainTokens(), r.valTokens(), r.dtype(), r.vocabSize(), r.tokenizer(), r.documents());
                if (r.sourceBytes() > 0) {
                    // the bytes of the files read: for a gzipped corpus, compressed ones
                    System.out.printf(Locale.ROOT, "%s of text%s in %.1f s (fit %.1f s, encode %.1f s): %.1f MB/s%n",
                            Progress.bytes(r.sourceBytes()), source.endsWith(".gz") ? " (gzip-compressed, as read)" : "", r.seconds(),
                            r.fitSeconds(), r.encodeSeconds(), r.mbPerSecond());
                } else {
                    System.out.printf(Locale.ROOT, "generated in %.1f s%n", r.seconds());
                }
                return 0;
            } finally {
                if (spooled != null) Files.deleteIfExists(spooled);
            }
        }

        /**
         * Copies standard input into a file beside the store (the corpus is read more than once). The copy
         * stays private (createTempFile makes it 0600, unlike every artefact, which gets the umask's
         * permissions) because it is deleted as soon as the store is written.
         */
        static Path spoolStdin(Path dir, boolean quiet) {
            Path f;
            try {
                Files.createDirectories(dir);
                f = Files.createTempFile(dir, ".stdin-", ".txt");
            } catch (IOException e) {
                throw new UserError(dir + ": cannot write the copy of standard input there (" + Files2.reason(e)
                        + "); choose an --out in a folder you can write");
            }
            Progress p = quiet ? Progress.silent() : Progress.bar("read stdin", 0);
            try (InputStream in = System.in; OutputStream o = Files.newOutputStream(f)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    o.write(buf, 0, n);
                    p.advance(n);
                }
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // the failure below is what matters
                }
                throw new UserError(f + ": cannot copy standard input (" + Files2.reason(e) + "); check free space in " + dir);
            } finally {
                p.finish();
            }
            return f;
        }
    }

    /** "256MB", "1G", "1000000", "0" → bytes (or characters). */
    static long parseSize(String s, String option) {
        String t = s.trim().toUpperCase(Locale.ROOT).replace("_", "");
        long mult = 1;
        if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        if (t.endsWith("K")) mult = 1L << 10;
        else if (t.endsWith("M")) mult = 1L << 20;
        else if (t.endsWith("G")) mult = 1L << 30;
        if (mult > 1) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t);
            if (v < 0) throw new NumberFormatException();
            return (long) (v * mult);
        } catch (NumberFormatException e) {
            throw new UserError(option + " '" + s + "' is not a size; write e.g. 256MB, 1G or 0");
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Tokenizer, vocabulary, split sizes, text bytes and, for the synthetic corpus, its exact loss floor "
                    + "(for synthetic:v2 also the scaling exponent its construction predicts).",
            footer = {"", "Examples:", "  scalelab data info synthetic", "  scalelab data info synthetic:langs=32,vocab=128 --ctx 64,256",
                    "  scalelab data info synthetic:v2 --ctx 64          # floors, the n-quanta oracle's L_n and its predicted alpha",
                    "  scalelab data info synthetic:v2,langs=1024,zipf=1.3 --fit-n 4:128",
                    "  scalelab data info data/shakespeare --verify", "  scalelab data info input.txt --val-fraction 0.05 --json"})
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "CORPUS", description = "A token store, a text file/folder/glob/.jsonl, a catalogue name, or synthetic[:settings].") String corpus;
        @Option(names = "--tokenizer", defaultValue = "auto", description = "Tokenizer for a text corpus (default: ${DEFAULT-VALUE}: char, or the store's own).") String tokenizer;
        @Option(names = "--val-fraction", defaultValue = "0.1", description = "Validation fraction of a text corpus (default: ${DEFAULT-VALUE}).") double valFraction;
        @Option(names = "--ctx", split = ",", paramLabel = "NCTX", defaultValue = "64,128",
                description = "Context lengths for the loss floor of a model that sees nCtx tokens (default: ${DEFAULT-VALUE}).") List<Integer> ctx;
        @Option(names = "--fit-n", paramLabel = "LO:HI",
                description = "synthetic:v2: the range of n (sub-languages known) the oracle's power law is fitted over "
                        + "(default: 2:langs/8).") String fitN;
        @Option(names = "--verify", description = "Re-hash a store's token files and check every id against the vocabulary.") boolean verify;
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override
        public Integer call() {
            DataSpec spec = new DataSpec(corpus, tokenizer, valFraction, 0, DataSpec.DEFAULT.seed());
            List<String> problems = new ArrayList<>();
            Dataset d;
            if (verify) {
                CorpusRef ref = CorpusRef.parse(corpus);
                if (ref.kind() != CorpusRef.Kind.STORE) throw new UserError("--verify checks token stores; " + corpus + " is not one");
                // opened without the id check that refuses a bad store, so that every problem is listed
                TokenStore.Opened o = TokenStore.open(ref.path(), false);
                problems.addAll(TokenStore.verify(o.dir(), o.train(), o.trainTokens()));
                if (o.val() != null) problems.addAll(TokenStore.verify(o.dir(), o.val(), o.valTokens()));
                d = Dataset.ofStore(spec, o);
            } else {
                d = Dataset.open(spec);
            }
            Map<String, Object> m = d.describe().toMap();
            if (d.lossFloorNats().isPresent() && problems.isEmpty()) {
                Map<String, Double> byCtx = new LinkedHashMap<>();
                for (int c : ctx) byCtx.put(String.valueOf(c), d.lossFloorNats(c).getAsDouble());
                m.put("loss_floor_nats_at_ctx", byCtx);
            }
            if (verify) m.put("verified", problems.isEmpty());
            Map<String, Object> v2 = null;
            if (d.generator() != null && SyntheticCorpus.version(d.generator()) == 2 && problems.isEmpty()) {
                SyntheticV2 g = SyntheticV2.of(SyntheticV2.Params.parse(d.generator()));
                int lo = SyntheticV2.FIT_LO, hi = g.defaultFitHi();
                if (fitN != null) {
                    String[] r = fitN.split(":");
                    try {
                        if (r.length != 2) throw new NumberFormatException();
                        lo = Integer.parseInt(r[0].trim());
                        hi = Integer.parseInt(r[1].trim());
                    } catch (NumberFormatException e) {
                        throw new UserError("--fit-n '" + fitN + "': write LO:HI, e.g. --fit-n 2:64");
                    }
                }
                v2 = g.describe(ctx.isEmpty() ? 64 : ctx.get(0), lo, hi);
                m.put("synthetic_v2", v2);
            } else if (fitN != null) {
                throw new UserError("--fit-n applies to synthetic:v2 only; " + corpus + " is not it");
            }
            if (json) {
                if (!problems.isEmpty()) m.put("problems", problems);
                System.out.print(Json.pretty(m));
            } else {
                m.forEach((k, v) -> {
                    if (!k.equals("synthetic_v2")) System.out.printf(Locale.ROOT, "%-22s %s%n", k, format(v));
                });
                if (v2 != null) printV2(v2);
                for (String p : problems) System.out.println("problem: " + p);
            }
            if (!problems.isEmpty()) throw new UserError(problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""));
            return 0;
        }

        /** The synthetic:v2 block of data info as lines. */
        @SuppressWarnings("unchecked")
        private static void printV2(Map<String, Object> v) {
            Map<String, Object> o = (Map<String, Object>) v.get("oracle");
            String f = "%-22s %s%n";
            System.out.printf(Locale.ROOT, f, "synthetic", String.format(Locale.ROOT, "v2: %d sub-languages with Zipf weights π_k ∝ k^-%s, "
                    + "vocab %d, %d successors per token, documents of %s tokens on average", v.get("langs"), v.get("zipf"), v.get("vocab"),
                    v.get("successors"), v.get("doclen")));
            System.out.printf(Locale.ROOT, f, "train", v.get("train"));
            System.out.printf(Locale.ROOT, f, "capacity", String.format(Locale.ROOT, "%,d transitions per sub-language",
                    ((Number) v.get("transitions_per_language")).longValue()));
            System.out.printf(Locale.ROOT, f, "copying", String.format(Locale.ROOT, "%.1f%% of validation tokens repeat a bigram of "
                    + "their document", 100 * (Double) v.get("repeated_bigram_fraction")));
            StringBuilder c = new StringBuilder();
            for (Map<String, Object> q : (List<Map<String, Object>>) o.get("curve")) {
                c.append(c.isEmpty() ? "" : "  ").append(q.get("n")).append(": ").append(String.format(Locale.ROOT, "%.4f", (Double) q.get("loss_nats")));
            }
            System.out.printf(Locale.ROOT, f, "oracle L_n (ctx " + o.get("ctx") + ")", c);
            List<Integer> range = (List<Integer>) o.get("fit_n");
            List<Double> ends = (List<Double>) o.get("local_alpha_at_fit_ends");
            System.out.printf(Locale.ROOT, f, "predicted alpha_n", String.format(Locale.ROOT, "%.3f (−slope of ln(L_n − E) over n = %d … %d, "
                    + "%d points; locally %.2f near n = %d and %.2f near n = %d; the Zipf tail mass alone gives %.3f); zipf − 1 = %.3f",
                    (Double) o.get("alpha_n"), range.get(0), range.get(1), (Integer) o.get("fit_points"), ends.get(0), range.get(0),
                    ends.get(1), range.get(1), (Double) o.get("tail_mass_alpha"), (Double) o.get("zipf_minus_1")));
            System.out.printf(Locale.ROOT, f, "predicted alpha_D", String.format(Locale.ROOT, "%.3f (alpha_n/zipf); (zipf − 1)/zipf = %.3f",
                    (Double) o.get("alpha_d"), (Double) o.get("alpha_d_zipf")));
            System.out.printf(Locale.ROOT, f, "assumes", o.get("assumes"));
        }

        private static String format(Object v) {
            if (v instanceof Double x) return String.format(Locale.ROOT, "%.4f", x);
            if (v instanceof Long || v instanceof Integer) return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
            if (v instanceof Map<?, ?> mm) {
                StringBuilder sb = new StringBuilder();
                mm.forEach((k, x) -> sb.append(sb.isEmpty() ? "" : "  ").append(k).append(": ").append(format(x)));
                return sb.toString();
            }
            return String.valueOf(v);
        }
    }

    @Command(name = "catalog", aliases = "list", mixinStandardHelpOptions = true,
            description = "The well-known corpora a name downloads: size, checksum, cache state.",
            footer = {"", "Cache: $SCALELAB_CACHE, else ~/.cache/scalelab. Add entries in CACHE/catalog.json."})
    static final class CatalogCmd implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override
        public Integer call() {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (CatalogEntry e : Catalog.entries()) {
                Map<String, Object> r = new LinkedHashMap<>(Json.MAPPER.convertValue(e, new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() {}));
                Path pin = Catalog.dirOf(e).resolve(e.fileName() + ".sha256");
                r.put("checksum", e.sha256() != null ? "catalogue" : Files.isRegularFile(pin) ? "pinned on first download" : "trust on first use");
                r.put("cached", Catalog.cached(e).map(Path::toString).orElse(null));
                rows.add(r);
            }
            if (json) {
                System.out.print(Json.pretty(rows));
                return 0;
            }
            System.out.printf(Locale.ROOT, "%-18s %-24s %-9s %-24s %s%n", "name", "size", "tokenizer", "checksum", "cached");
            for (Map<String, Object> r : rows) {
                System.out.printf(Locale.ROOT, "%-18s %-24s %-9s %-24s %s%n", r.get("name"), r.get("approx_size"), r.get("tokenizer"),
                        r.get("checksum"), r.get("cached") == null ? "no" : r.get("cached"));
            }
            System.out.println("\ncache: " + Catalog.cacheDir());
            return 0;
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Download catalogue corpora into the cache now (resumes an interrupted download; checks SHA-256).",
            footer = {"", "Example:", "  scalelab data download tinyshakespeare enwik8"})
    static final class DownloadCmd implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Catalogue names (see data catalog).") List<String> names;
        @Option(names = "--verify", description = "Re-hash downloads already in the cache.") boolean verify;
        @Option(names = {"-q", "--quiet"}, description = "No progress bars.") boolean quiet;

        @Override
        public Integer call() {
            for (String n : names) {
                CatalogEntry e = Catalog.find(n).orElseThrow(() -> new UserError("'" + n + "' is not in the catalogue; use one of " + Catalog.names()));
                Path p = Catalog.ensure(e, quiet);
                if (verify) {
                    String problem = Catalog.verify(e);
                    if (problem != null) throw new UserError(problem);
                }
                System.out.println(e.name() + ": " + p);
            }
            return 0;
        }
    }
}
