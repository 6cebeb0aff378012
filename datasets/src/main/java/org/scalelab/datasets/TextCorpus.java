package org.scalelab.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * A text corpus as a sequence of documents: UTF-8 text files (one document each, or several split at a
 * separator line such as TinyStories' {@code <|endoftext|>}) and JSON-lines files (one document per
 * line, its text in a named field). Files ending in {@code .gz} are decompressed on the fly.
 */
final class TextCorpus {
    enum Format { TEXT, JSONL }

    /** One file of the corpus. */
    record Part(Path file, Format format, String field, String docSeparator) {
        String display() {
            return format == Format.JSONL && !field.equals("text") ? file + "#" + field : file.toString();
        }
    }

    /** Receives the documents of a corpus; a document's text arrives in one or more chunks. */
    interface DocSink {
        void begin();

        void text(String chunk);

        void end();
    }

    final String name;
    final List<Part> parts;
    long documents, nulRemoved, replaced, bytesRead;

    TextCorpus(String name, List<Part> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("no parts");
        this.name = name;
        this.parts = List.copyOf(parts);
    }

    /** One text or JSONL file, by its extension. */
    static TextCorpus file(Path file, String field, String docSeparator) {
        return new TextCorpus(displayName(file, field), List.of(part(file, field, docSeparator)));
    }

    static Part part(Path file, String field, String docSeparator) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        boolean jsonl = n.endsWith(".jsonl") || n.endsWith(".jsonl.gz") || n.endsWith(".ndjson");
        if (!jsonl && field != null) {
            throw new UserError(file + "#" + field + ": a '#field' suffix only applies to .jsonl files");
        }
        return new Part(file, jsonl ? Format.JSONL : Format.TEXT, jsonl ? (field == null ? "text" : field) : null, docSeparator);
    }

    private static String displayName(Path file, String field) {
        String n = file.getFileName().toString();
        return field == null ? n : n + "#" + field;
    }

    /** Every regular, non-hidden file under {@code dir}, in path order. */
    static TextCorpus folder(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            files = s.filter(Files::isRegularFile).filter(p -> !hidden(dir.relativize(p))).sorted().toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list the folder (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) throw new UserError(dir + ": the folder holds no files; put text files in it or name a file");
        List<Part> parts = new ArrayList<>();
        for (Path f : files) parts.add(part(f, null, null));
        return new TextCorpus(dir.toAbsolutePath().normalize().getFileName() + "/", parts);
    }

    private static boolean hidden(Path rel) {
        for (Path p : rel) if (p.toString().startsWith(".")) return true;
        return false;
    }

    /** The files a glob matches ({@code data/*.txt}, {@code books/**.txt}), in path order. */
    static TextCorpus glob(String pattern) {
        String norm = pattern.replace('\\', '/');
        int meta = firstGlobChar(norm);
        int slash = norm.lastIndexOf('/', meta);
        Path base = Path.of(slash < 0 ? "." : slash == 0 ? "/" : norm.substring(0, slash));
        String rest = slash < 0 ? norm : norm.substring(slash + 1);
        if (!Files.isDirectory(base)) throw new UserError("glob '" + pattern + "': " + base + " is not a folder");
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        List<Path> files;
        try (Stream<Path> s = Files.walk(base, FileVisitOption.FOLLOW_LINKS)) {
            files = s.filter(Files::isRegularFile).filter(p -> m.matches(base.relativize(p)) && !hidden(base.relativize(p)))
                    .sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            throw new UserError("glob '" + pattern + "': cannot list " + base + " (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) throw new UserError("glob '" + pattern + "' matches no files; check the pattern (quote it so the shell does not expand it)");
        List<Part> parts = new ArrayList<>();
        for (Path f : files) parts.add(part(f, null, null));
        return new TextCorpus(pattern, parts);
    }

    static boolean isGlob(String s) {
        return firstGlobChar(s) < s.length();
    }

    private static int firstGlobChar(String s) {
        for (int i = 0; i < s.length(); i++) if ("*?[{".indexOf(s.charAt(i)) >= 0) return i;
        return s.length();
    }

    /** Total size of the files in bytes (compressed size for .gz). */
    long totalBytes() {
        long n = 0;
        for (Part p : parts) {
            try {
                n += Files.size(p.file);
            } catch (IOException e) {
                throw new UserError(p.file + ": cannot read (" + e.getMessage() + ")");
            }
        }
        return n;
    }

    /** A key that changes when any file changes (path, size, modification time), for caches. */
    String fingerprint() {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            try {
                sb.append(p.file.toAbsolutePath().normalize()).append('|').append(p.format).append('|').append(p.field).append('|')
                        .append(p.docSeparator).append('|').append(Files.size(p.file)).append('|')
                        .append(Files.getLastModifiedTime(p.file).toMillis()).append('\n');
            } catch (IOException e) {
                throw new UserError(p.file + ": cannot read (" + e.getMessage() + ")");
            }
        }
        return sb.toString();
    }

    static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** {@code true} when the files are made of many documents (JSONL, separated text): the auto split is then by document. */
    boolean documentsByDesign() {
        for (Part p : parts) if (p.format == Format.JSONL || p.docSeparator != null) return true;
        return false;
    }

    void read(OnInvalid mode, DocSink sink, Progress progress) {
        read(mode, sink, progress, null);
    }

    /**
     * Streams every document to {@code sink}; {@code progress} advances by file bytes (compressed for .gz);
     * {@code md}, when given, digests the files' bytes in order.
     */
    void read(OnInvalid mode, DocSink sink, Progress progress, java.security.MessageDigest md) {
        documents = nulRemoved = replaced = bytesRead = 0;
        for (Part p : parts) {
            if (!Files.isRegularFile(p.file)) throw new UserError(p.file + ": no such file; check data.corpus");
            long before = progress.done();
            try (CountingStream raw = new CountingStream(Files.newInputStream(p.file), progress, md);
                 InputStream in = p.file.getFileName().toString().endsWith(".gz")
                         ? new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16) : raw) {
                String where = p.file.toString() + (p.file.getFileName().toString().endsWith(".gz") ? " (decompressed)" : "");
                TextReader r = new TextReader(in, where, mode);
                if (p.format == Format.JSONL) readJsonl(p, r, sink);
                else readText(p, r, sink);
                nulRemoved += r.nulRemoved;
                replaced += r.replaced;
                bytesRead += r.bytesRead;
            } catch (java.util.zip.ZipException e) {
                throw new UserError(p.file + ": not a valid gzip file (" + e.getMessage() + ")");
            } catch (IOException e) {
                throw new UserError(p.file + ": cannot read (" + e.getMessage() + ")");
            }
            progress.set(before + sizeOf(p.file));
        }
    }

    private static long sizeOf(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }

    private void readText(Part p, TextReader r, DocSink sink) throws IOException {
        if (p.docSeparator == null) {
            sink.begin();
            for (String s; (s = r.next()) != null; ) sink.text(s);
            sink.end();
            documents++;
            return;
        }
        // Documents separated by a line holding only the separator (TinyStories: <|endoftext|>).
        String sepLine = p.docSeparator;
        StringBuilder line = new StringBuilder();
        boolean open = false;
        for (String s; (s = r.next()) != null; ) {
            int from = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) != '\n') continue;
                line.append(s, from, i + 1);
                from = i + 1;
                open = emitLine(line, sepLine, sink, open);
                line.setLength(0);
            }
            line.append(s, from, s.length());
            if (line.length() > (1 << 20)) { // a very long line: pass it on in pieces
                if (!open) { sink.begin(); open = true; }
                sink.text(line.toString());
                line.setLength(0);
            }
        }
        if (line.length() > 0) open = emitLine(line, sepLine, sink, open);
        if (open) {
            sink.end();
            documents++;
        }
    }

    private boolean emitLine(StringBuilder line, String sep, DocSink sink, boolean open) {
        int end = line.length() > 0 && line.charAt(line.length() - 1) == '\n' ? line.length() - 1 : line.length();
        if (end == sep.length() && line.indexOf(sep) == 0) {
            if (open) {
                sink.end();
                documents++;
            }
            return false;
        }
        if (!open) sink.begin();
        sink.text(line.toString());
        return true;
    }

    private void readJsonl(Part p, TextReader r, DocSink sink) throws IOException {
        StringBuilder line = new StringBuilder();
        long lineNo = 1;
        for (String s; (s = r.next()) != null; ) {
            int from = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) != '\n') continue;
                line.append(s, from, i);
                from = i + 1;
                jsonDoc(p, line, lineNo++, sink);
                line.setLength(0);
            }
            line.append(s, from, s.length());
        }
        if (!line.isEmpty()) jsonDoc(p, line, lineNo, sink);
    }

    private void jsonDoc(Part p, CharSequence line, long lineNo, DocSink sink) {
        if (line.toString().isBlank()) return;
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(line.toString());
        } catch (JsonProcessingException e) {
            throw new UserError(p.file + ":" + lineNo + ": not valid JSON (" + e.getOriginalMessage().split("\n")[0]
                    + "); each line of a .jsonl file must be one JSON object");
        }
        JsonNode t = p.field.contains(".") ? n.at("/" + p.field.replace('.', '/')) : n.get(p.field);
        if (t == null || t.isMissingNode() || !t.isTextual()) {
            List<String> fields = new ArrayList<>();
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) fields.add(it.next());
            throw new UserError(p.file + ":" + lineNo + ": no string field '" + p.field + "' (fields: " + String.join(", ", fields)
                    + "); name the text field as " + p.file.getFileName() + "#FIELD");
        }
        String text = t.asText();
        if (text.indexOf('\r') >= 0) text = text.replace("\r\n", "\n");
        if (text.indexOf('\0') >= 0) {
            nulRemoved += text.chars().filter(c -> c == 0).count();
            text = text.replace("\0", "");
        }
        sink.begin();
        sink.text(text);
        sink.end();
        documents++;
    }

    /** An input stream that reports the bytes read to a progress bar. */
    private static final class CountingStream extends InputStream {
        private final InputStream in;
        private final Progress progress;
        private final java.security.MessageDigest md;

        CountingStream(InputStream in, Progress progress, java.security.MessageDigest md) {
            this.in = in;
            this.progress = progress;
            this.md = md;
        }

        @Override public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                progress.advance(1);
                if (md != null) md.update((byte) b);
            }
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                progress.advance(n);
                if (md != null) md.update(b, off, n);
            }
            return n;
        }

        @Override public void close() throws IOException { in.close(); }
    }
}
