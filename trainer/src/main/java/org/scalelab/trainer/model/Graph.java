package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the layers emit their SameDiff ops into: the graph, one variable per tensor of the layout (created
 * up front, in layout order, on the weights' own arrays), and the dropout-mask placeholders the layers ask
 * for.
 */
public final class Graph {
    public static final String TOKENS = "tokens", LABELS = "labels", LOGITS = "logits", LOSS = "loss";

    final SameDiff sd;
    final DataType dtype;
    final int T, d;
    final boolean dropout;
    private final SDVariable[] vars;
    private final List<String> dropoutSites = new ArrayList<>();

    Graph(SameDiff sd, Weights w, int T, int d, boolean dropout) {
        this.sd = sd;
        this.dtype = w.dtype();
        this.T = T;
        this.d = d;
        this.dropout = dropout;
        ParamLayout layout = w.layout();
        vars = new SDVariable[layout.size()];
        for (ParamLayout.Tensor t : layout.tensors()) {
            vars[t.index()] = sd.var(t.name(), w.get(t));
            INDArray held = vars[t.index()].getArr();
            if (held != w.get(t)) w.replace(t, held);   // compute where the graph computes
        }
    }

    SDVariable var(ParamLayout.Tensor t) { return vars[t.index()]; }

    /** x·mask with a (B, T, dModel) mask placeholder named {@code site}, already scaled by 1/(1−p); x without dropout. */
    SDVariable dropout(SDVariable x, String site) {
        if (!dropout) return x;
        dropoutSites.add(site);
        return x.mul(sd.placeHolder(site, dtype, -1, T, d));
    }

    /** A constant of this graph, made by {@code make} the first time {@code name} is asked for. */
    SDVariable constant(String name, java.util.function.Supplier<INDArray> make) {
        SDVariable c = sd.hasVariable(name) ? sd.getVariable(name) : null;
        return c != null ? c : sd.constant(name, make.get());
    }

    /** The dropout placeholders, in the order the model draws their masks. */
    public List<String> dropoutSites() { return Collections.unmodifiableList(dropoutSites); }

    public SameDiff sameDiff() { return sd; }
}
