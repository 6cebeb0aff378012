package org.scalelab.trainer.cli;

import org.scalelab.trainer.export.Export;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code scalelab export}: a run's latest checkpoint as files transformers or nanoGPT load. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a run's latest checkpoint for transformers (GPT-2 or Llama layout) or nanoGPT.", "",
                "--format hf gives config.json, model.safetensors and, for the gpt2 and byte tokenizers, the tokenizer files of "
                        + "transformers' GPT2LMHeadModel (layernorm+gelu+learned) or LlamaForCausalLM (rmsnorm+swiglu+rope); "
                        + "--format nanogpt gives nanoGPT's state dict as model.safetensors, its model_args.json and, for char runs, "
                        + "meta.pkl. docs/interop.md has the tensor names and a loader."},
        footer = {"", "Examples:",
                "  scalelab export --run runs/<id> --format hf --out export/<id>",
                "  scalelab export --run runs/<id> --format nanogpt --out export/<id>-nano --reference"})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run directory (runs/<id>).")
    Path run;

    @Option(names = "--format", defaultValue = "hf", paramLabel = "hf|nanogpt",
            description = "hf (transformers) or nanogpt (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (created; files in it are replaced).")
    Path out;

    @Option(names = "--reference", description = "Also write reference.safetensors: token ids and the logits ScaleLab computes for them, "
            + "to check the export in another framework (docs/interop.md).")
    boolean reference;

    @Override
    public Integer call() {
        Export.Result r = Export.write(run, Export.Format.of(format), out, reference);
        System.out.println("exported " + run + " as " + r.layout().name().toLowerCase(java.util.Locale.ROOT) + " to " + out + ":");
        for (Path f : r.files()) System.out.println("  " + f.getFileName());
        for (String n : r.notes()) System.out.println("note: " + n);
        return 0;
    }
}
