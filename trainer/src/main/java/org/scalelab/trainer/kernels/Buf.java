package org.scalelab.trainer.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/** A direct float buffer and its native pointer (what BLAS takes), row-major matrices at element offsets. */
public record Buf(FloatPointer p, FloatBuffer b) {

    /** n zeroed floats off the Java heap. */
    public static Buf alloc(long n) {
        FloatPointer p = new FloatPointer(Math.max(1, n));
        Pointer.memset(p, 0, Math.max(1, n) * 4);
        return new Buf(p, p.asBuffer());
    }

    /** The host memory of a dense float array (a parameter). */
    public static Buf of(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c') {
            throw new IllegalArgumentException("parameters must be dense float arrays");
        }
        FloatBuffer b = a.data().asNioFloat();
        return new Buf(new FloatPointer(b), b);
    }

    /** Elements [off, off + n) as a buffer of their own. */
    public Buf slice(long off, long n) {
        FloatBuffer s = b.duplicate().position((int) off).limit((int) (off + n)).slice();
        return new Buf(new FloatPointer(s), s);
    }

    /** A pointer to element {@code off}. */
    public FloatPointer at(long off) {
        return new FloatPointer(p).position(off);
    }

    public void zero(long n) {
        Pointer.memset(p, 0, n * 4);
    }

    public int size() {
        return b.capacity();
    }
}
