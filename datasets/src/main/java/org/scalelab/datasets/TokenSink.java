package org.scalelab.datasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** Where encoded tokens go while a corpus is prepared: memory or a token file. */
interface TokenSink {
    void write(int[] ids, int off, int len);

    long size();

    /** A growable array (corpora opened directly by a run, up to 2^31 tokens). */
    final class Memory implements TokenSink {
        private int[] a = new int[1 << 16];
        private int n;

        @Override
        public void write(int[] ids, int off, int len) {
            if ((long) n + len > Integer.MAX_VALUE - 16) {
                throw new UserError("the corpus has more than 2^31 tokens; prepare it once with "
                        + "'scalelab data prepare --corpus … --out DIR' and train on DIR");
            }
            if (n + len > a.length) a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 16, Math.max((long) a.length * 2, n + len)));
            System.arraycopy(ids, off, a, n, len);
            n += len;
        }

        @Override public long size() { return n; }

        int[] array() { return a; }
    }

    /** Little-endian uint16 / uint32 tokens appended to a file. */
    final class File implements TokenSink, AutoCloseable {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final int width;
        private final long limit;
        private final Path path;
        private long n;

        File(Path path, int width) {
            this.path = path;
            this.width = width;
            this.limit = width == 2 ? 0xFFFFL : 0xFFFFFFFFL;
            try {
                ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + path, e);
            }
        }

        @Override
        public void write(int[] ids, int off, int len) {
            for (int i = off; i < off + len; i++) {
                int id = ids[i];
                if (id < 0 || id > limit) throw new IllegalStateException("token id " + id + " does not fit " + width + " bytes");
                if (buf.remaining() < width) drain();
                if (width == 2) buf.putShort((short) id);
                else buf.putInt(id);
            }
            n += len;
        }

        private void drain() {
            buf.flip();
            try {
                while (buf.hasRemaining()) ch.write(buf);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + path, e);
            }
            buf.clear();
        }

        @Override public long size() { return n; }

        @Override
        public void close() {
            drain();
            try {
                ch.force(true);
                ch.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + path, e);
            }
        }
    }
}
