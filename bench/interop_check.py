#!/usr/bin/env python3
"""Loads ScaleLab exports (scalelab export --reference) in other frameworks and compares logits.

Each folder's reference.safetensors holds input_ids, ScaleLab's logits for them and, for a tokenizer with
transformers files, probe_ids (the ids of the metadata's probe text). A --format hf folder is loaded with
transformers' AutoModelForCausalLM and AutoTokenizer; a --format nanogpt folder with nanoGPT's model.py
(--nanogpt-model), as docs/interop.md's loader does, both with ScaleLab's normalisation and GELU swapped in
(exact) and with nanoGPT's defaults. Prints one JSON object per folder; --json FILE writes them all.
Needs torch, safetensors and (for hf folders) transformers.
"""
import argparse, importlib.util, json, os, sys
import torch, torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


def reference(folder):
    with safe_open(os.path.join(folder, "reference.safetensors"), "pt") as f:
        meta = f.metadata()
        t = {k: f.get_tensor(k) for k in f.keys()}
    return t, meta


def loss(logits, ids):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).double(), ids[:, 1:].reshape(-1)).item()


def check_hf(folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    t, meta = reference(folder)
    ids, ours = t["input_ids"], t["logits"]
    model, info = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, output_loading_info=True)
    model.eval()
    out = {"class": type(model).__name__, "loading_problems": {k: list(v) for k, v in info.items() if v},
           "loss_scalelab": loss(ours, ids), "max_abs_logit": ours.abs().max().item()}
    for dev in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        with torch.no_grad():
            lg = model.to(dev)(ids.to(dev)).logits.float().cpu()
        out[f"max_abs_diff_{dev}"] = (lg - ours).abs().max().item()
        out[f"loss_{dev}"] = loss(lg, ids)
    model.to("cpu")
    with torch.no_grad():
        out["generated_shape"] = list(model.generate(ids[:, :8], max_new_tokens=8, do_sample=False).shape)
    if "probe_ids" in t:
        want = t["probe_ids"].tolist()
        tok = AutoTokenizer.from_pretrained(folder)
        got = tok.encode(meta["probe"])
        out["tokenizer"] = {"class": type(tok).__name__, "same_ids": got == want, "ids": len(want),
                            "roundtrip": tok.decode(got) == meta["probe"], "vocabulary": len(tok)}
    return out


def load_nanogpt(folder, model_py, exact=True):
    """nanoGPT's GPT with ScaleLab's weights (docs/interop.md)."""
    spec = importlib.util.spec_from_file_location("nanogpt_model", model_py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    args = json.load(open(os.path.join(folder, "model_args.json")))
    model = mod.GPT(mod.GPTConfig(**args))
    missing, unexpected = model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=False)
    assert not unexpected and all(k.endswith(".attn.bias") for k in missing), (missing, unexpected)
    if exact:   # ScaleLab's layer norm (σ + 1e-12) and tanh GELU instead of nanoGPT's ε = 1e-5 and erf GELU
        for m in model.modules():
            if type(m).__name__ == "LayerNorm":
                m.forward = lambda x, m=m: F.layer_norm(x, m.weight.shape, m.weight, m.bias, 1e-12)
            if isinstance(m, torch.nn.GELU):
                m.approximate = "tanh"
    return model.eval(), args


def check_nanogpt(folder, model_py):
    t, _ = reference(folder)
    ids, ours = t["input_ids"], t["logits"]
    out = {"loss_scalelab": loss(ours, ids), "max_abs_logit": ours.abs().max().item()}
    for exact in [True, False]:
        model, _ = load_nanogpt(folder, model_py, exact)
        with torch.no_grad():
            lg, _ = model(ids, ids)   # with targets, nanoGPT returns the logits of every position
        key = "exact" if exact else "nanogpt_defaults"
        out[f"max_abs_diff_{key}"] = (lg - ours).abs().max().item()
        out[f"loss_{key}"] = loss(lg, ids)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+")
    p.add_argument("--nanogpt-model", help="nanoGPT's model.py, for --format nanogpt folders")
    p.add_argument("--json", help="write every result to this file")
    a = p.parse_args()
    results = {"torch": torch.__version__}
    try:
        import transformers
        results["transformers"] = transformers.__version__
    except ImportError:
        pass
    for folder in a.folders:
        name = os.path.basename(os.path.normpath(folder))
        if os.path.exists(os.path.join(folder, "model_args.json")):
            if not a.nanogpt_model:
                print(f"{name}: skipped (a nanoGPT export; pass --nanogpt-model)", file=sys.stderr)
                continue
            results[name] = check_nanogpt(folder, a.nanogpt_model)
        else:
            results[name] = check_hf(folder)
        print(name, json.dumps(results[name]), flush=True)
    if a.json:
        json.dump(results, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
