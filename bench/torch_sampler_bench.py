"""PyTorch CPU anchor for bench/sample.ts: the same tiny decoder transformer as
../shared/bench/torch_step_bench.py (vocab 32, d 128, 2 layers, 4 heads; pre-LN, GELU-tanh MLP,
learned positions) sampling 64 prompts x 8 samples x 64 new tokens with a KV cache (prefill the
prompt block once, then one token per step for all rows), temperature 1, multinomial draw.
Prints one JSON line: generated tokens/s (wall clock and process CPU time) of the fastest of
`reps` runs (the machine's CPU may be taken away for hundreds of ms at a time; the median is shown too).
Usage: /usr/bin/python3 torch_sampler_bench.py [prompts] [samples] [new_tokens] [reps]"""
import json, math, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
V, D, L, H, PL = 32, 128, 2, 4, 8
NP = int(sys.argv[1]) if len(sys.argv) > 1 else 64
G = int(sys.argv[2]) if len(sys.argv) > 2 else 8
NEW = int(sys.argv[3]) if len(sys.argv) > 3 else 64
REPS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
HD = D // H


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        s.qkv, s.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        s.w1, s.w2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(s, x, cache, mask):
        B, S, _ = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(D, -1)
        sh = lambda t: t.view(B, S, H, HD).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        if mask is not None:
            att = att + mask
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, D)
        x = x + s.o(o)
        return x + s.w2(F.gelu(s.w1(s.ln2(x)), approximate="tanh")), (k, v)


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.tok, s.pos = nn.Embedding(V, D), nn.Embedding(PL + NEW, D)
        s.blocks = nn.ModuleList(Block() for _ in range(L))
        s.lnf, s.out = nn.LayerNorm(D), nn.Linear(D, V, bias=False)

    def forward(s, ids, start, caches, mask):
        pos = torch.arange(start, start + ids.shape[1])
        x = s.tok(ids) + s.pos(pos)
        new = []
        for b, c in zip(s.blocks, caches):
            x, kv = b(x, c, mask)
            new.append(kv)
        return s.out(s.lnf(x[:, -1])), new


@torch.inference_mode()
def sample(m, prompts):
    causal = torch.triu(torch.full((PL, PL), -1e9), 1)
    logits, caches = m(prompts, 0, [None] * L, causal)  # prefill once per prompt
    logits = logits.repeat_interleave(G, 0)
    caches = [(k.repeat_interleave(G, 0), v.repeat_interleave(G, 0)) for k, v in caches]
    out = []
    for t in range(NEW):
        logp = torch.log_softmax(logits, -1)
        tok = torch.multinomial(logp.exp(), 1)  # [N, 1]
        out.append((tok, logp.gather(-1, tok)))
        if t < NEW - 1:
            logits, caches = m(tok, PL + t, caches, None)
    return out


m = GPT().eval()
prompts = torch.randint(0, V, (NP, PL))
sample(m, prompts[:2])  # warm-up
walls, cpus = [], []
for _ in range(REPS):
    c0, t0 = time.process_time(), time.perf_counter()
    sample(m, prompts)
    walls.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
s, cs = min(walls), min(cpus)
med = sorted(walls)[len(walls) // 2]
n = NP * G * NEW
print(json.dumps({"impl": "pytorch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": NP * G,
                  "new_tokens": NEW, "reps": REPS, "sample_s": round(s, 3), "sample_tokens_per_s": round(n / s),
                  "sample_tokens_per_s_median": round(n / med), "cpu_sample_tokens_per_s": round(n / cs)}))
