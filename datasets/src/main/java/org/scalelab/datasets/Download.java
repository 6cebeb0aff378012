package org.scalelab.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;

/**
 * Downloads one file into the cache: into {@code NAME.part} first, resumed with an HTTP Range request
 * after an interrupted transfer (in this process or an earlier one), then checked against its SHA-256
 * and only then renamed to its final name. A checksum mismatch deletes the download and refuses it.
 */
final class Download {
    static int attempts = 4;
    static long backoffMillis = 1000;

    private Download() {}

    /**
     * Fetches {@code url} into {@code dest} unless it is already there. {@code sha256} null: computed and
     * returned for the caller to pin. Returns the file's SHA-256.
     */
    static String fetch(String label, String url, Path dest, String sha256, long size, boolean quiet) {
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                if (transfer(http, label, url, part, size, quiet)) {
                    last = null;
                    break;
                }
            } catch (IOException e) {
                last = e;
                if (e instanceof ConnectException && attempt == attempts) break;
                long have = sizeOf(part);
                if (!quiet) System.err.printf(Locale.ROOT, "%s: connection lost after %s (%s); resuming%n", label, Progress.bytes(have), e.getMessage());
                sleep(backoffMillis * attempt);
            }
        }
        if (last != null) {
            throw new UserError(String.format(Locale.ROOT, "%s: download from %s failed after %d attempts at %s (%s); run the command again "
                    + "to resume from %s, or download the file yourself and pass its path as the corpus", label, url, attempts,
                    Progress.bytes(sizeOf(part)), last.getMessage(), part));
        }
        String got;
        try {
            got = Files2.sha256(part);
        } catch (IOException e) {
            throw new UserError(part + ": cannot read the download (" + e.getMessage() + ")");
        }
        if (sha256 != null && !got.equalsIgnoreCase(sha256)) {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // refused either way
            }
            throw new UserError(label + ": the download from " + url + " has SHA-256 " + got + " but " + sha256 + " is expected; refused "
                    + "and deleted (the file changed upstream or was corrupted); download it again, or check the file yourself and pass its path");
        }
        if (size > 0 && sizeOf(part) != size) {
            throw new UserError(label + ": the download has " + sizeOf(part) + " bytes, " + size + " are expected; delete " + part + " and retry");
        }
        try {
            Files2.moveAtomic(part, dest);
        } catch (IOException e) {
            throw new UserError(dest + ": cannot move the download into place (" + e.getMessage() + ")");
        }
        return got;
    }

    /** One request; true when the file is complete. */
    private static boolean transfer(HttpClient http, String label, String url, Path part, long size, boolean quiet) throws IOException {
        long have = sizeOf(part);
        if (size > 0 && have == size) return true;
        HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).GET().header("User-Agent", "scalelab");
        if (have > 0) rb.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        int code = resp.statusCode();
        boolean append;
        if (code == 206) {
            String cr = resp.headers().firstValue("Content-Range").orElse("");
            append = cr.startsWith("bytes " + have + "-");
            if (!append) {
                resp.body().close();
                Files.deleteIfExists(part);
                throw new IOException("server answered a different range (" + cr + "); starting over");
            }
        } else if (code == 200) {
            append = false; // no range support: start over
        } else if (code == 416 && have > 0) {
            resp.body().close();
            return true; // nothing left to fetch: the checksum decides whether the file is right
        } else {
            resp.body().close();
            throw new UserError(label + ": " + url + " answered HTTP " + code + "; the catalogue URL may have moved: download the file "
                    + "yourself and pass its path as the corpus");
        }
        long total = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
        long expected = total >= 0 ? (append ? have : 0) + total : size;
        Progress p = quiet ? Progress.silent() : Progress.bar("download " + label, Math.max(0, expected));
        p.set(append ? have : 0);
        try (InputStream in = resp.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                p.advance(n);
            }
        } finally {
            p.finish();
        }
        long now = sizeOf(part);
        if (total >= 0 && now != expected) throw new IOException("transfer ended at " + now + " of " + expected + " bytes");
        return true;
    }

    static long sizeOf(Path f) {
        try {
            return Files.exists(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
