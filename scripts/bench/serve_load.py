"""Streaming load against an OpenAI-compatible /v1/chat/completions endpoint (scripts/bench/serve-local.sh).

    python serve_load.py BASE_URL MODEL CLIENTS MAX_TOKENS [RUNS]

CLIENTS streamed requests start together (one per client, each with its own prompt, greedy); the line printed
on stdout is JSON: aggregate completion tokens/s (all clients' tokens over the wall time from the first request
to the last [DONE]), time to first token (first content delta) median and max, the mean completion length, and
the number of failed requests. The best of RUNS runs (by aggregate tokens/s) is printed.
"""
import asyncio
import json
import statistics
import sys
import time

import httpx

TOPICS = ["the history of tea", "how bridges carry load", "the water cycle", "a lighthouse keeper's day",
          "why the sky is blue", "the first computers", "a city under snow", "how bees make honey",
          "the life of a river", "a journey by night train", "how a violin is made", "the deep sea",
          "an old library", "volcanoes", "the invention of paper", "a market at dawn"]


async def one(client, base, model, i, max_tokens):
    body = {"model": model, "stream": True, "temperature": 0, "max_tokens": max_tokens,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": f"Write a long, detailed essay about {TOPICS[i % len(TOPICS)]}."}]}
    start = time.perf_counter()
    first = None
    tokens = 0
    chunks = 0
    async with client.stream("POST", base + "/chat/completions", json=body) as r:
        if r.status_code != 200:
            await r.aread()
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            for choice in event.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    chunks += 1
                    if first is None:
                        first = time.perf_counter() - start
            if event.get("usage"):
                tokens = event["usage"].get("completion_tokens", 0)
    return first if first is not None else float("nan"), tokens or chunks


async def run(base, model, clients, max_tokens):
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        start = time.perf_counter()
        results = await asyncio.gather(*(one(client, base, model, i, max_tokens) for i in range(clients)),
                                       return_exceptions=True)
        wall = time.perf_counter() - start
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    for f in failed[:3]:
        print(f"serve_load: request failed: {f!r}", file=sys.stderr)
    total = sum(t for _, t in ok)
    ttfts = [f for f, _ in ok]
    return {"clients": clients, "aggregate_tok_s": total / wall if wall > 0 else 0.0,
            "ttft_p50_ms": 1000 * statistics.median(ttfts) if ttfts else float("nan"),
            "ttft_max_ms": 1000 * max(ttfts) if ttfts else float("nan"),
            "mean_tokens": total / len(ok) if ok else 0.0, "failed": len(failed), "wall_s": wall}


def main():
    base, model, clients, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    results = [asyncio.run(run(base, model, clients, max_tokens)) for _ in range(runs)]
    best = max(results, key=lambda r: r["aggregate_tok_s"])
    best["failed"] = max(r["failed"] for r in results)  # a failure in any run shows
    print(json.dumps(best))


if __name__ == "__main__":
    main()
