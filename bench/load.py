"""Load: many concurrent API clients while mixes run, and the control API with many running tasks.

    python -m bench.load [--clients 200] [--mixes 20] [--seconds 10] [--tasks 100]

The emulator runs as ``mix-emulator serve`` in a child process (the clients here do not share its
interpreter). Two phases, each on a fresh server:

1. ``--mixes`` running mixes (half ZEGO, half Volcengine; two 160x90 10 fps inputs each, realtime) while
   ``--clients`` concurrent clients send requests back to back for ``--seconds``: the control API's task
   list, one task, health, and the providers' own signed reads (ZEGO GetMixTaskInfo, Volcengine
   GetCloudMixTaskDetail). Printed: requests per second, p50/p99 latency per path, errors, and whether
   the mixes kept up meanwhile (their realtime factors).
2. ``--tasks`` running tasks (64x36 at 1 fps, solid colour inputs: as many as a 2-core machine holds
   without falling behind), then
   the control API's list and get one after the other, p50/p99 of each; then SIGTERM and the time the
   server takes to stop them all and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import json
import random
import signal
import tempfile
import time
from collections import OrderedDict, defaultdict
from pathlib import Path

import aiohttp
from volcengine.auth.SignerV4 import SignerV4
from volcengine.auth.SignParam import SignParam
from volcengine.Credentials import Credentials

from bench.process import serve
from bench.signed import SignedClients, expect_ok
from emulator.kit.signed_volcengine import ACCESS_KEY, SECRET_KEY, VERSION
from emulator.kit.signed_zego import ZegoRtc

INPUTS = ("load_a", "load_b")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def publish_inputs(client: SignedClients, pattern: str) -> None:
    for stream in INPUTS:
        source = f"pattern:{pattern}"
        client.control.publish(stream, source)


def factors(client: SignedClients) -> list[float]:
    tasks = client.control.tasks()
    return sorted(t["realtime_factor"] for t in tasks if t["state"] == "running" and t["realtime_factor"])


# ----- phase 1: concurrent clients
def volcengine_signed(host: str, action: str, raw: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """Query and headers of a Volcengine request with body ``raw``, signed now by the official SDK's
    SignerV4 (the kit's caller sends as it signs: these clients send with aiohttp)."""
    query = OrderedDict({"Action": action, "Version": VERSION})
    param = SignParam()
    param.set_method("POST")
    param.set_host(host)
    param.set_path("/")
    param.set_query(query)
    param.set_body(raw)
    param.set_header_list(OrderedDict({"Host": host, "Content-Type": "application/json"}))
    param.set_date(datetime.datetime.now(datetime.UTC))
    signed = SignerV4.sign_only(param, Credentials(ACCESS_KEY, SECRET_KEY, "live", "cn-north-1"))
    headers = {
        "Content-Type": "application/json",
        "X-Date": signed.xdate,
        "X-Content-Sha256": signed.xContextSha256,
        "Authorization": signed.authorization,
    }
    return dict(query), headers


class Requests:
    """The request mix: each call returns (path label, method, url, params, body, headers)."""

    def __init__(self, base_url: str, zego_tasks: list[str], volc_tasks: list[str]) -> None:
        self.zego = ZegoRtc(base_url)
        self.base_url = base_url
        self.host = base_url.split("://", 1)[1]
        self.zego_tasks, self.volc_tasks = zego_tasks, volc_tasks
        self.kinds = itertools.cycle(["list", "get", "health", "zego", "volcengine"])

    def next(self) -> tuple[str, str, str, dict[str, str], bytes | None, dict[str, str]]:
        kind = next(self.kinds)
        if kind == "list":
            return "GET /_emulator/tasks", "GET", f"{self.base_url}/_emulator/tasks", {}, None, {}
        if kind == "get":
            task = f"zego:12345:{random.choice(self.zego_tasks)}"
            return "GET /_emulator/tasks/{id}", "GET", f"{self.base_url}/_emulator/tasks/{task}", {}, None, {}
        if kind == "health":
            return "GET /_emulator/health", "GET", f"{self.base_url}/_emulator/health", {}, None, {}
        if kind == "zego":
            params = {**self.zego.query("GetMixTaskInfo"), "TaskId": random.choice(self.zego_tasks)}
            return "ZEGO GetMixTaskInfo", "GET", f"{self.base_url}/", params, None, {}
        raw = json.dumps({"TaskID": random.choice(self.volc_tasks)}).encode()
        query, headers = volcengine_signed(self.host, "GetCloudMixTaskDetail", raw)
        return "Volcengine GetCloudMixTaskDetail", "POST", f"{self.base_url}/", query, raw, headers


async def hammer(requests: Requests, clients: int, seconds: float) -> tuple[dict[str, list[float]], int]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                label, method, url, params, body, headers = requests.next()
                started = time.perf_counter()
                try:
                    async with session.request(method, url, params=params, data=body, headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                except (TimeoutError, aiohttp.ClientError):
                    ok = False
                latencies[label].append((time.perf_counter() - started) * 1000)
                errors += not ok

        await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors


def phase_clients(data_dir: Path, clients: int, mixes: int, seconds: float) -> None:
    with serve(data_dir / "clients", "--max-tasks", str(max(mixes, 1))) as (_, url):
        api = SignedClients(url, size=(160, 90), fps=10)
        publish_inputs(api, "bars?size=160x90&fps=10&tone=440")
        zego_tasks, volc_tasks = [], []
        for i in range(mixes):
            if i % 2 == 0:
                expect_ok("zego", api.zego_start(f"load{i}", INPUTS, f"load{i}_out"))
                zego_tasks.append(f"load{i}")
            else:
                result = expect_ok("volcengine", api.volcengine_create(f"load{i}", INPUTS))
                volc_tasks.append(result["Data"]["TaskID"])
        time.sleep(3.0)  # every mix running, its realtime factor measured
        what = "160x90, 10 fps, two inputs, realtime"
        print(f"{mixes} mixes running ({what}); {clients} clients for {seconds:g} s")
        latencies, errors = asyncio.run(hammer(Requests(url, zego_tasks, volc_tasks), clients, seconds))
        during = factors(api)
    total = sum(len(v) for v in latencies.values())
    print(f"{total} requests, {total / seconds:.0f} req/s, {errors} errors")
    print("| path | requests | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for label, values in latencies.items():
        print(f"| {label} | {len(values)} | {percentile(values, 0.5):.1f} | {percentile(values, 0.99):.1f} |")
    behind = sum(f < 0.95 for f in during)
    print(
        f"mixes at the end of the load: realtime factor min {during[0]:.2f}, median "
        f"{percentile(during, 0.5):.2f}; {behind} of {len(during)} behind"
    )


# ----- phase 2: many running tasks
def phase_tasks(data_dir: Path, tasks: int) -> None:
    with serve(data_dir / "tasks", "--max-tasks", str(tasks)) as (server, url):
        api = SignedClients(url, size=(64, 36), fps=1)
        publish_inputs(api, "color?color=#3366ff&size=64x36")
        for i in range(tasks):
            expect_ok("zego", api.zego_start(f"idle{i}", INPUTS, f"idle{i}_out"))
        time.sleep(3.0)
        print(f"\n{tasks} running tasks (64x36, 1 fps, two inputs, realtime); requests one after the other")
        print("| path | requests | p50 ms | p99 ms |\n|---|---:|---:|---:|")
        for label, path in (
            ("GET /_emulator/tasks", "/_emulator/tasks"),
            ("GET /_emulator/tasks/{id}", f"/_emulator/tasks/{api.zego.task_id('idle7')}"),
        ):
            values = []
            for _ in range(200):
                started = time.perf_counter()
                api.control.request("GET", path)
                values.append((time.perf_counter() - started) * 1000)
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"| {label} | {len(values)} | {p50:.1f} | {p99:.1f} |")
        during = factors(api)
        print(f"tasks behind meanwhile: {sum(f < 0.95 for f in during)} of {len(during)}")
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        print(f"SIGTERM with {tasks} tasks running: stopped and exited in {time.monotonic() - started:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--mixes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mix-load-") as folder:
        if args.clients:
            phase_clients(Path(folder), args.clients, args.mixes, args.seconds)
        if args.tasks:
            phase_tasks(Path(folder), args.tasks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
