"""A bounded load test of `seq2seq-keras serve`: throughput and latency under 1 to 32
concurrent clients, every answer checked against `Translator.translate`.

    python scripts/load_serve.py                              # starts a server: transformer
    python scripts/load_serve.py --model blog_char --duration 10 --levels 1,8
    python scripts/load_serve.py --url http://127.0.0.1:8501 --pid 1234   # a running one

Each client sends requests of `--per-request` sentences from the model's test split,
one after the other, for `--duration` seconds per level; the script reports sentences
per second, the median and 99th percentile latency of a request, errors (not 200),
answers that differ from `translate` of the same sentences, and the server's peak
resident memory so far (VmHWM of /proc/PID/status). It stops by itself: a server it
started gets SIGTERM at the end. Needs httpx (the test extra).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import httpx

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: str, timeout: float = 300):
    """`seq2seq-keras serve --model MODEL` on a free loopback port: `(process, url,
    seconds to the first answer)`."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [REPO, *filter(None, [os.environ.get("PYTHONPATH")])])}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "seq2seq_keras.apps.cli", "serve", "--model", model,
         "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    url = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(f"{url}/v1/models/default:predict",
                                     json.dumps({"instances": ["Go."]}).encode())
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}): "
                             f"{process.stderr.read()}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return process, url, time.perf_counter() - start
        except OSError:
            if time.perf_counter() - start > timeout:
                process.kill()
                raise SystemExit(f"no answer from the server after {timeout} s") from None
            time.sleep(0.1)


def peak_rss_mib(pid: int | None) -> float | None:
    """The peak resident memory of process `pid` so far (VmHWM), in MiB."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def run_level(url: str, model: str, clients: int, duration: float, sentences: list,
                    expected: dict, per_request: int) -> dict:
    """`clients` clients, each posting requests one after the other for `duration`."""
    latencies, errors, mismatches, translated = [], [], 0, 0
    end = time.perf_counter() + duration
    endpoint = f"{url}/v1/models/{model}:predict"

    async def client(k: int, http: httpx.AsyncClient):
        nonlocal mismatches, translated
        position = k * 997  # each client its own walk through the sentences
        while time.perf_counter() < end:
            batch = [sentences[(position + i) % len(sentences)] for i in range(per_request)]
            position += per_request
            start = time.perf_counter()
            try:
                response = await http.post(endpoint, json={"instances": batch})
            except httpx.HTTPError as error:
                errors.append(repr(error))
                continue
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text[:100]}")
                continue
            answers = response.json()["predictions"]
            mismatches += sum(a != expected[s] for a, s in zip(answers, batch, strict=True))
            translated += len(batch)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    elapsed = time.perf_counter() - started
    cut = sorted(latencies)
    return {"clients": clients, "requests": len(latencies), "sentences": translated,
            "sentences_per_s": round(translated / elapsed, 1),
            "p50_ms": round(1000 * statistics.median(cut), 1) if cut else None,
            "p99_ms": round(1000 * cut[min(len(cut) - 1, int(0.99 * len(cut)))], 1)
            if cut else None,
            "errors": len(errors), "mismatches": mismatches, "first_error": errors[:1]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default="transformer",
                        help="the model to load for the sentences and the expected answers "
                        "(and to serve, without --url)")
    parser.add_argument("--url", help="a running server (default: start one on loopback)")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its "
                        "peak memory (with --url)")
    parser.add_argument("--levels", default="1,8,16,32", help="concurrent clients per level")
    parser.add_argument("--duration", type=float, default=20, help="seconds per level")
    parser.add_argument("--per-request", type=int, default=4, help="sentences per request")
    parser.add_argument("--sentences", type=int, default=400,
                        help="distinct test-split sentences the clients send")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    from seq2seq_keras.translation.evaluation import split_references
    from seq2seq_keras.translation.translator import load_translator

    translator = load_translator(args.model)
    sentences = [s for s in split_references(translator.config, "test")
                 if translator.fits(s)][: args.sentences]
    # The answers to expect: `translate` of the same strings, each request's strings
    # translated together as the server may merge them with others.
    expected = dict(zip(sentences, translator.translate(sentences), strict=True))
    del translator

    process, startup = None, None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        process, url, startup = start_server(args.model)
        pid = process.pid
    name = "default"
    results = {"model": args.model, "url": url, "startup_to_first_answer_s":
               None if startup is None else round(startup, 1), "cpus": os.cpu_count(),
               "date": time.strftime("%Y-%m-%d"), "levels": []}
    if startup is not None:
        print(f"server started, first answer after {startup:.1f} s")
    print(f"{'clients':>7} {'requests':>8} {'sent/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'differ':>6} {'peak RSS':>9}")
    try:
        for clients in (int(level) for level in args.levels.split(",")):
            row = asyncio.run(run_level(url, name, clients, args.duration, sentences, expected,
                                        args.per_request))
            row["peak_rss_mib"] = peak_rss_mib(pid)
            results["levels"].append(row)
            rss = "" if row["peak_rss_mib"] is None else f"{row['peak_rss_mib']:.0f} MiB"
            print(f"{clients:>7} {row['requests']:>8} {row['sentences_per_s']:>8} "
                  f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['errors']:>6} "
                  f"{row['mismatches']:>6} {rss:>9}", flush=True)
            if row["first_error"]:
                print(f"        first error: {row['first_error'][0]}")
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    one = results["levels"][0]["sentences_per_s"] if results["levels"] else 0
    for row in results["levels"]:
        row["speedup"] = round(row["sentences_per_s"] / one, 2) if one else None
    print("speed-up over the first level: " + ", ".join(
        f"{row['clients']} clients {row['speedup']}x" for row in results["levels"]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)
    bad = sum(row["errors"] + row["mismatches"] for row in results["levels"])
    return 1 if bad else 0


if __name__ == "__main__":
    from seq2seq_keras.apps.tf_logs import quiet_stderr

    with quiet_stderr():  # TensorFlow's start-up lines, as the command line drops them
        code = main()
    sys.exit(code)
