package org.scalelab.datasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Atomic file writes: write a temp file in the same directory, fsync it, rename it over the target,
 * fsync the directory. A crash leaves either the old file or the new one, never half of one. Files and
 * folders are created without explicit permissions, so they get the umask's (0644 and 0755 under 022)
 * and a store or run in a shared folder is readable by its other users.
 */
public final class Files2 {
    private Files2() {}

    public static void writeAtomic(Path target, String text) {
        writeAtomic(target, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeAtomic(Path target, byte[] bytes) {
        writeAtomic(target, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
        });
    }

    /** What a streamed atomic write puts into the temporary file's channel. */
    public interface ChannelWriter {
        void write(FileChannel ch) throws IOException;
    }

    /**
     * Writes {@code target} atomically from {@code body}, which writes the contents into the temporary
     * file's channel (for files too large to hold in memory as one array).
     */
    public static void writeAtomic(Path target, ChannelWriter body) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = createUniqueFile(dir, "." + target.getFileName() + ".", ".tmp");
            boolean moved = false;
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    body.write(ch);
                    ch.force(true);
                }
                moveAtomic(tmp, target);
                moved = true;
            } finally {
                if (!moved) Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    /**
     * Creates a new, empty file {@code PREFIX<random>SUFFIX} in {@code dir} with the umask's permissions
     * (0644 under 022), unlike {@link Files#createTempFile}, which makes it 0600.
     */
    static Path createUniqueFile(Path dir, String prefix, String suffix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path f = dir.resolve(uniqueName(prefix, suffix));
            try {
                Files.newByteChannel(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return f;
            } catch (FileAlreadyExistsException taken) {
                if (attempt == 100) throw taken;
            }
        }
    }

    /**
     * Creates a new, empty folder {@code PREFIX<random>} in {@code parent} with the umask's permissions
     * (0755 under 022), unlike {@link Files#createTempDirectory}, which makes it 0700: a store written
     * through such a folder would be unreadable to other users of a shared directory.
     */
    public static Path createUniqueDirectory(Path parent, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path d = parent.resolve(uniqueName(prefix, ""));
            try {
                return Files.createDirectory(d);
            } catch (FileAlreadyExistsException taken) {
                if (attempt == 100) throw taken;
            }
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static String uniqueName(String prefix, String suffix) {
        return prefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + suffix;
    }

    /**
     * An I/O error as words for a one-line message: "permission denied", "no such file or folder",
     * "read-only file system"…, without the path a {@link FileSystemException} repeats in its message.
     */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof FileAlreadyExistsException) return "a file of that name exists";
        if (e instanceof NotDirectoryException) return "not a folder";
        if (e instanceof FileSystemException f) {
            if (f.getReason() != null) return f.getReason();
            return e.getClass().getSimpleName();
        }
        if (e.getMessage() != null) return e.getMessage();
        return e.getCause() instanceof IOException c ? reason(c) : e.getClass().getSimpleName();
    }

    /** Renames {@code tmp} over {@code target} atomically and syncs the directory entry. */
    public static void moveAtomic(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDir(target.toAbsolutePath().getParent());
    }

    /** The lowercase hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (ch.read(buf) > 0 || buf.position() > 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return hex(md.digest());
    }

    /** The lowercase hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return hex(sha256().digest(bytes));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] d) {
        StringBuilder sb = new StringBuilder(d.length * 2);
        for (byte b : d) sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        return sb.toString();
    }

    /** Deletes a file tree (best effort; used for temporary folders). */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (var s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            });
        } catch (IOException ignored) {
            // nothing to clean
        }
    }

    static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Some file systems cannot fsync a directory; the rename itself is still atomic.
        }
    }
}
