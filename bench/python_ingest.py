"""
The Python SDK's side of `npm run bench`: the same ingest.units call, against the same local
server, in the same run. Prints one JSON line: calls per second of the sync client (c=1) and
of the async client (c=1 and c=64), each the median over runs.

Usage: python bench/python_ingest.py BASE_URL

It needs the Python SDK importable: `pip install payi` (in a virtualenv) brings it with its
dependencies (httpx, anyio, pydantic...) from PyPI; `npm run bench` runs it with PAYI_PYTHON,
or python3.
"""
import asyncio
import json
import statistics
import sys
import time

from payi import AsyncPayi, Payi

BASE_URL = sys.argv[1]
EVENT = dict(
    category="system.openai",
    resource="gpt-4o",
    units={"text": {"input": 1200, "output": 350}},
    end_to_end_latency_ms=840,
    http_status_code=200,
    user_id="customer_abc123",
)
RUN_SECONDS = 0.6
RUNS = 5


def median_rate(run_once, calls_per_iteration=1):
    """Calls per second of run_once, as a median over RUNS timed runs after a warm-up."""
    for _ in range(20):
        run_once()
    rates = []
    for _ in range(RUNS):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < RUN_SECONDS:
            run_once()
            n += 1
        rates.append(n * calls_per_iteration / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    sync_client = Payi(api_key="bench-key", base_url=BASE_URL, max_retries=0)
    sync_rate = median_rate(lambda: sync_client.ingest.units(**EVENT))

    async def measure_async():
        client = AsyncPayi(api_key="bench-key", base_url=BASE_URL, max_retries=0)
        out = {}
        for concurrency in (1, 64):
            async def batch():
                await asyncio.gather(*(client.ingest.units(**EVENT) for _ in range(concurrency)))

            for _ in range(5):
                await batch()
            rates = []
            for _ in range(RUNS):
                n, start = 0, time.perf_counter()
                while time.perf_counter() - start < RUN_SECONDS:
                    await batch()
                    n += 1
                rates.append(n * concurrency / (time.perf_counter() - start))
            out[concurrency] = statistics.median(rates)
        await client.close()
        return out

    async_rates = asyncio.run(measure_async())
    print(json.dumps({"sync_c1": sync_rate, "async_c1": async_rates[1], "async_c64": async_rates[64]}))


if __name__ == "__main__":
    main()
