"""The Python side of scripts/bench/openai-client.sh: the official `openai` SDK and smolagents'
`OpenAIServerModel` against the same local static server as `smol-bench`.

Usage:
  python_client.py CLIENT plain N CONCURRENCY BASE_URL [asyncio|threads]
  python_client.py CLIENT stream N BASE_URL
CLIENT is `sdk` or `smolagents`.

Concurrency (plain, CONCURRENCY > 1):
  sdk + asyncio     `openai.AsyncOpenAI` on one event loop, CONCURRENCY worker coroutines (default for sdk:
                    the SDK's own non-blocking path, the same shape as smol-bench's task group)
  sdk + threads     one shared `openai.OpenAI` client, CONCURRENCY threads
  smolagents        `OpenAIServerModel.generate` is synchronous: CONCURRENCY threads sharing one model
CONCURRENCY == 1 always uses the synchronous client in the main thread.

Prints one JSON line like smol-bench: wall seconds, requests, chunks, and CPU seconds (user+sys of the
whole process from resource.getrusage(RUSAGE_SELF)) measured around the loop only, after one warm-up
request, so interpreter start-up and imports are excluded.
"""
import asyncio
import itertools
import json
import resource
import sys
import threading
import time

MODEL = "gpt-4o-mini"
API_KEY = "sk-bench"
PROMPT = "Say hello."


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def report(client, mode, concurrency, requests, chunks, wall, before, after, model):
    user, system = after[0] - before[0], after[1] - before[1]
    print(json.dumps({"client": client, "mode": mode, "concurrency": concurrency, "concurrency_model": model,
                      "requests": requests, "chunks": chunks, "wall_s": wall, "user_s": user, "sys_s": system,
                      "cpu_s": user + system}))


def run_threads(n, concurrency, one):
    """Runs `one()` n times on `concurrency` threads; returns the number completed."""
    counter = itertools.count()
    done = [0] * concurrency
    errors = []

    def worker(slot):
        try:
            while next(counter) < n:
                one()
                done[slot] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(done)


def sdk_plain(n, concurrency, base, model):
    import openai

    messages = [{"role": "user", "content": PROMPT}]
    if concurrency > 1 and model == "asyncio":
        async def main():
            client = openai.AsyncOpenAI(api_key=API_KEY, base_url=base)
            first = await client.chat.completions.create(model=MODEL, messages=messages)
            assert first.choices[0].message.content
            counter = itertools.count()

            async def worker():
                done = 0
                while next(counter) < n:
                    await client.chat.completions.create(model=MODEL, messages=messages)
                    done += 1
                return done

            before, start = cpu(), time.perf_counter()
            completed = sum(await asyncio.gather(*(worker() for _ in range(concurrency))))
            wall, after = time.perf_counter() - start, cpu()
            await client.close()
            return completed, wall, before, after

        completed, wall, before, after = asyncio.run(main())
    else:
        client = openai.OpenAI(api_key=API_KEY, base_url=base)

        def one():
            return client.chat.completions.create(model=MODEL, messages=messages)

        assert one().choices[0].message.content
        before, start = cpu(), time.perf_counter()
        if concurrency == 1:
            model = "sync"
            for _ in range(n):
                one()
            completed = n
        else:
            completed = run_threads(n, concurrency, one)
        wall, after = time.perf_counter() - start, cpu()
    report("openai-sdk", "plain", concurrency, completed, 0, wall, before, after, model)


def sdk_stream(n, base):
    import openai

    client = openai.OpenAI(api_key=API_KEY, base_url=base)
    messages = [{"role": "user", "content": PROMPT}]

    def one():
        count = 0
        for _chunk in client.chat.completions.create(model=MODEL, messages=messages, stream=True,
                                                     stream_options={"include_usage": True}):
            count += 1
        return count

    assert one() > 0
    before, start = cpu(), time.perf_counter()
    chunks = sum(one() for _ in range(n))
    wall, after = time.perf_counter() - start, cpu()
    report("openai-sdk", "stream", 1, n, chunks, wall, before, after, "sync")


def smolagents_model(base):
    from smolagents import ChatMessage, MessageRole, OpenAIServerModel

    model = OpenAIServerModel(model_id=MODEL, api_base=base, api_key=API_KEY)
    return model, [ChatMessage(role=MessageRole.USER, content=[{"type": "text", "text": PROMPT}])]


def smolagents_plain(n, concurrency, base):
    model, messages = smolagents_model(base)

    def one():
        return model.generate(messages)

    assert one().content
    before, start = cpu(), time.perf_counter()
    if concurrency == 1:
        for _ in range(n):
            one()
        completed = n
    else:
        completed = run_threads(n, concurrency, one)
    wall, after = time.perf_counter() - start, cpu()
    report("smolagents", "plain", concurrency, completed, 0, wall, before, after,
           "sync" if concurrency == 1 else "threads")


def smolagents_stream(n, base):
    model, messages = smolagents_model(base)

    def one():
        return sum(1 for _delta in model.generate_stream(messages))

    assert one() > 0
    before, start = cpu(), time.perf_counter()
    chunks = sum(one() for _ in range(n))
    wall, after = time.perf_counter() - start, cpu()
    report("smolagents", "stream", 1, n, chunks, wall, before, after, "sync")


def main(argv):
    usage = __doc__.split("\n\n")[1]
    if len(argv) < 4 or argv[0] not in ("sdk", "smolagents") or argv[1] not in ("plain", "stream"):
        sys.exit(usage)
    client, mode = argv[0], argv[1]
    if mode == "plain":
        if len(argv) not in (5, 6):
            sys.exit(usage)
        n, concurrency, base = int(argv[2]), int(argv[3]), argv[4]
        model = argv[5] if len(argv) == 6 else "asyncio"
        if model not in ("asyncio", "threads"):
            sys.exit(usage)
        if client == "sdk":
            sdk_plain(n, concurrency, base, model)
        else:
            smolagents_plain(n, concurrency, base)
    else:
        if len(argv) != 4:
            sys.exit(usage)
        n, base = int(argv[2]), argv[3]
        (sdk_stream if client == "sdk" else smolagents_stream)(n, base)


if __name__ == "__main__":
    main(sys.argv[1:])
