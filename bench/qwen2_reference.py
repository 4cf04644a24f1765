#!/usr/bin/env python3
"""Independent reference forward pass of the published Qwen2 / Llama architecture.

Reads a Hugging Face model directory (config.json + model.safetensors or shards listed in
model.safetensors.index.json; F32 / F16 / BF16), parsed by hand (struct + json, no safetensors or
transformers package), and writes the logits of given token sequences to JSON.

    python3 bench/qwen2_reference.py MODEL_DIR [MODEL_DIR ...] --input in.json --out out.json [--impl auto|torch|python]

in.json: {"tokens": [[...], ...], "attention": [[1, ...], ...]} (left padding allowed).
out.json: {"impl": "torch" | "python", "logits": {MODEL_DIR: [[[...V floats] per position] per row]}}.

The forward, as in transformers' modeling_qwen2.py (eager attention):
    x = E[y];  per layer: x += o_proj(attn(rope(q_proj(n1)), rope(k_proj(n1)), v_proj(n1))), n1 = RMSNorm(x)
                          x += down_proj(silu(gate_proj(n2)) * up_proj(n2)),                 n2 = RMSNorm(x)
    logits = RMSNorm(x) @ W_head^T (W_head = E when tie_word_embeddings)
    RMSNorm(x) = x / sqrt(mean(x^2) + eps) * w;  rope angles pos * theta^(-2i/hd), rotate_half layout;
    grouped-query attention: query head h uses kv head h // (H / H_kv); positions = cumsum(mask) - 1.
`--impl torch` computes in float64 with plain torch ops; `--impl python` is the same algorithm in
pure Python (float64) for machines without torch; `auto` picks torch when importable.
"""
import argparse
import json
import math
import os
import struct
import sys

DTYPES = {"F32": ("f", 4), "F16": ("e", 2), "BF16": (None, 2), "F64": ("d", 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        fmt, size = DTYPES[e["dtype"]]
        b, end = e["data_offsets"]
        raw = data[base + b : base + end]
        count = (end - b) // size
        if e["dtype"] == "BF16":
            halves = struct.unpack("<%dH" % count, raw)
            vals = list(struct.unpack("<%df" % count, struct.pack("<%dI" % count, *[h << 16 for h in halves])))
        else:
            vals = list(struct.unpack("<%d%s" % (count, fmt), raw))
        out[name] = (e["shape"], vals)
    return out


def read_model(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for fn in files:
        weights.update(read_safetensors(os.path.join(model_dir, fn)))
    return weights


# ---------------------------------------------------------------- pure Python (lists of floats)
def py_forward(cfg, weights, tokens, attention):
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or d // H
    g, eps, theta = H // Hkv, cfg.get("rms_norm_eps", 1e-6), cfg.get("rope_theta", 10000.0)
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)

    def mat(name):  # [out][in]
        (o, i), v = weights[name]
        return [v[r * i : (r + 1) * i] for r in range(o)]

    def vec(name):
        return weights[name][1]

    def lin(x, W, b=None):
        y = [sum(a * w for a, w in zip(x, row)) for row in W]
        return [u + c for u, c in zip(y, b)] if b is not None else y

    def rms(x, w):
        r = 1.0 / math.sqrt(sum(a * a for a in x) / len(x) + eps)
        return [a * r * c for a, c in zip(x, w)]

    def rope(v, pos):
        half = hd // 2
        out = []
        for i in range(hd):
            ang = pos * theta ** (-2 * (i % half) / hd)
            rot = -v[i + half] if i < half else v[i - half]
            out.append(v[i] * math.cos(ang) + rot * math.sin(ang))
        return out

    embed = mat("model.embed_tokens.weight")
    head = embed if cfg.get("tie_word_embeddings") else mat("lm_head.weight")
    result = []
    for row, mask in zip(tokens, attention):
        S = len(row)
        pos, c = [], 0
        for m in mask:
            c += m
            pos.append(max(c - 1, 0))
        xs = [list(embed[t]) for t in row]
        for li in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % li
            bias = lambda n: vec(p + n) if qkv_bias else None  # noqa: E731
            Wq, Wk, Wv = mat(p + "self_attn.q_proj.weight"), mat(p + "self_attn.k_proj.weight"), mat(p + "self_attn.v_proj.weight")
            Wo = mat(p + "self_attn.o_proj.weight")
            n1 = [rms(x, vec(p + "input_layernorm.weight")) for x in xs]
            q = [lin(x, Wq, bias("self_attn.q_proj.bias")) for x in n1]
            k = [lin(x, Wk, bias("self_attn.k_proj.bias")) for x in n1]
            v = [lin(x, Wv, bias("self_attn.v_proj.bias")) for x in n1]
            qh = [[rope(q[s][h * hd : (h + 1) * hd], pos[s]) for h in range(H)] for s in range(S)]
            kh = [[rope(k[s][h * hd : (h + 1) * hd], pos[s]) for h in range(Hkv)] for s in range(S)]
            vh = [[v[s][h * hd : (h + 1) * hd] for h in range(Hkv)] for s in range(S)]
            new = []
            for s in range(S):
                o = []
                for h in range(H):
                    kv = h // g
                    sc = [
                        sum(a * b for a, b in zip(qh[s][h], kh[t][kv])) / math.sqrt(hd) if (t <= s and mask[t]) else -1e9
                        for t in range(S)
                    ]
                    mx = max(sc)
                    e = [math.exp(z - mx) for z in sc]
                    tot = sum(e)
                    o += [sum(e[t] / tot * vh[t][kv][j] for t in range(S)) for j in range(hd)]
                x1 = [a + b for a, b in zip(xs[s], lin(o, Wo))]
                n2 = rms(x1, vec(p + "post_attention_layernorm.weight"))
                gt = lin(n2, mat(p + "mlp.gate_proj.weight"))
                up = lin(n2, mat(p + "mlp.up_proj.weight"))
                hmid = [a / (1 + math.exp(-a)) * b for a, b in zip(gt, up)]
                new.append([a + b for a, b in zip(x1, lin(hmid, mat(p + "mlp.down_proj.weight")))])
            xs = new
        result.append([lin(rms(x, vec("model.norm.weight")), head) for x in xs])
    return result


# ---------------------------------------------------------------- PyTorch (float64)
def torch_forward(cfg, weights, tokens, attention):
    import torch

    dt = torch.float64
    W = {n: torch.tensor(v, dtype=dt).reshape(s) for n, (s, v) in weights.items()}
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim") or d // H
    eps, theta = cfg.get("rms_norm_eps", 1e-6), cfg.get("rope_theta", 10000.0)
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    tok = torch.tensor(tokens, dtype=torch.long)
    att = torch.tensor(attention, dtype=dt)
    B, S = tok.shape
    pos = (att.cumsum(-1) - 1).clamp(min=0)  # [B, S]

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    def lin(x, name, bias=False):
        y = x @ W[name + ".weight"].T
        return y + W[name + ".bias"] if bias else y

    inv = 1.0 / theta ** (torch.arange(0, hd, 2, dtype=dt) / hd)
    ang = pos[..., None] * inv  # [B, S, hd/2]
    emb = torch.cat([ang, ang], -1)[:, None]  # [B, 1, S, hd]
    cos, sin = emb.cos(), emb.sin()

    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    allowed = torch.tril(torch.ones(S, S, dtype=dt))[None, None] * att[:, None, None, :]
    bias = (allowed - 1) * 1e9  # [B, 1, S, S]
    x = W["model.embed_tokens.weight"][tok]  # [B, S, d]
    for li in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % li
        n1 = rms(x, W[p + "input_layernorm.weight"])
        q = lin(n1, p + "self_attn.q_proj", qkv_bias).view(B, S, H, hd).transpose(1, 2)
        k = lin(n1, p + "self_attn.k_proj", qkv_bias).view(B, S, Hkv, hd).transpose(1, 2)
        v = lin(n1, p + "self_attn.v_proj", qkv_bias).view(B, S, Hkv, hd).transpose(1, 2)
        q, k = rope(q), rope(k)
        k = k.repeat_interleave(H // Hkv, dim=1)  # repeat_kv
        v = v.repeat_interleave(H // Hkv, dim=1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, -1) @ v  # [B, H, S, hd]
        x = x + lin(a.transpose(1, 2).reshape(B, S, H * hd), p + "self_attn.o_proj")
        n2 = rms(x, W[p + "post_attention_layernorm.weight"])
        x = x + lin(torch.nn.functional.silu(lin(n2, p + "mlp.gate_proj")) * lin(n2, p + "mlp.up_proj"), p + "mlp.down_proj")
    h = rms(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return (h @ head.T).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dirs", nargs="+")
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--impl", choices=["auto", "torch", "python"], default="auto")
    args = ap.parse_args()
    impl = args.impl
    if impl == "auto":
        try:
            import torch  # noqa: F401

            impl = "torch"
        except ImportError:
            impl = "python"
    with open(args.input) as f:
        inp = json.load(f)
    fwd = torch_forward if impl == "torch" else py_forward
    logits = {}
    for model_dir in args.model_dirs:
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        if cfg.get("model_type") not in ("qwen2", "llama"):
            sys.exit("%s: unsupported model_type %r" % (model_dir, cfg.get("model_type")))
        logits[model_dir] = fwd(cfg, read_model(model_dir), inp["tokens"], inp["attention"])
    with open(args.out, "w") as f:
        json.dump({"impl": impl, "logits": logits}, f)


if __name__ == "__main__":
    main()
