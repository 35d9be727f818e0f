#!/usr/bin/env python3
"""Benchmark of `skill mcp`: prints figures, asserts nothing (machines are shared and noisy).

    cargo build --release -p skill
    python3 tests/bench/mcp_bench.py --skill target/release/skill [--runs 30] [--calls 300]

Needs the MCP Python SDK for the SDK rows (`pip install mcp`); the raw rows need nothing.
Every figure is with the precompiled cache warm (one untimed run fills it first), with the
first-party plugins only (an empty SKILL_HOME), and reports median and 90th percentile:

- spawn -> `tools/list` answered: from starting the process to reading the answer,
  * raw, 2026 stateless: one `tools/list` line carrying its protocol version in `_meta`;
  * raw, 2025 handshake: `initialize`, `notifications/initialized`, `tools/list`, pipelined;
  * through the Python SDK (`Client(..., mode="auto")` then `list_tools()`; import excluded).
- a warm `tools/call` of rotation-planner, validated both ways by the host, one call after
  another on one session, on two inputs: 1 inline secret (a ~5 KB answer) and the 13 inline
  secrets of examples/inventory.json (a ~40 KB answer: the output twice, as structuredContent
  and as text),
  * raw: request written to answer read, the server's own latency plus two pipe hops;
  * through the Python SDK (`client.call_tool`, which parses the answer with pydantic and
    validates it against the output schema: most of its time for the large answer).

The peer to beat (issue 6, Wassette): 386 ms spawn -> tools/list, 1.0 ms per warm call
through the Python SDK. Targets: <= 30 ms and <= 1 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

WORKSPACE = Path(__file__).resolve().parents[2]
META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


INITIALIZE = line(
    {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
    }
) + line({"jsonrpc": "2.0", "method": "notifications/initialized"})


def figures(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return f"median {statistics.median(ms):7.3f} ms   p90 {p90:7.3f} ms   (n={len(ms)})"


class Server:
    """`skill mcp` on raw pipes."""

    def __init__(self, skill: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [skill, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        assert self.process.stdin and self.process.stdout
        self.stdin = self.process.stdin
        self.stdout = self.process.stdout

    def send(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def answer(self, request_id: int) -> dict[str, Any]:
        while True:
            text = self.stdout.readline()
            if not text:
                raise RuntimeError(f"skill mcp closed stdout before answering request {request_id}")
            message = json.loads(text)
            if message.get("id") == request_id:
                if "error" in message or message.get("result", {}).get("isError"):
                    raise RuntimeError(f"request {request_id} failed: {message}")
                return message

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=30)


def list_request(request_id: int, stateless: bool) -> bytes:
    params = {"_meta": META} if stateless else {}
    return line({"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": params})


def spawn_to_list(skill: str, env: dict[str, str], stateless: bool) -> tuple[float, int]:
    started = time.perf_counter()
    server = Server(skill, env)
    server.send((b"" if stateless else INITIALIZE) + list_request(1, stateless))
    tools = server.answer(1)["result"]["tools"]
    elapsed = time.perf_counter() - started
    server.close()
    return elapsed, len(tools)


def raw_calls(skill: str, env: dict[str, str], arguments: dict[str, Any], calls: int) -> list[float]:
    server = Server(skill, env)
    server.send(INITIALIZE)
    samples = []
    for request_id in range(1, calls + 11):
        request = line(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": "rotation-planner", "arguments": arguments},
            }
        )
        started = time.perf_counter()
        server.send(request)
        server.answer(request_id)
        if request_id > 10:  # the first calls load the plugin and warm the caches
            samples.append(time.perf_counter() - started)
    server.close()
    return samples


async def sdk_spawn_to_list(skill: str, env: dict[str, str], runs: int) -> list[float]:
    from mcp import Client, StdioServerParameters

    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with Client(StdioServerParameters(command=skill, args=["mcp"], env=env), mode="auto") as client:
            await client.list_tools()
            samples.append(time.perf_counter() - started)
    return samples


async def sdk_calls(skill: str, env: dict[str, str], arguments: dict[str, Any], calls: int) -> list[float]:
    from mcp import Client, StdioServerParameters

    samples = []
    async with Client(StdioServerParameters(command=skill, args=["mcp"], env=env), mode="auto") as client:
        await client.list_tools()  # the SDK validates results against the listed output schema
        for i in range(calls + 10):
            started = time.perf_counter()
            result = await client.call_tool("rotation-planner", arguments)
            elapsed = time.perf_counter() - started
            if result.is_error:
                raise RuntimeError(f"call failed: {result.content}")
            if i >= 10:
                samples.append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of skill mcp.")
    parser.add_argument("--skill", default=str(WORKSPACE / "target/release/skill"), help="the skill binary")
    parser.add_argument("--runs", type=int, default=30, help="spawns per spawn -> tools/list figure")
    parser.add_argument("--calls", type=int, default=300, help="warm calls per tools/call figure")
    args = parser.parse_args()

    home = tempfile.TemporaryDirectory(prefix="skill-mcp-bench-")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SKILL_HOME": str(Path(home.name) / "home"),
        "SKILL_CACHE_DIR": str(Path(home.name) / "cache"),
    }
    secrets = json.loads((WORKSPACE / "examples/inventory.json").read_text())["secrets"]
    inputs = {
        f"{count:2} secret{'s' if count > 1 else ' '}": {"secrets": secrets[:count], "policy": "30d", "as_of": "2026-06-01"}
        for count in (1, len(secrets))
    }
    arguments = inputs[max(inputs)]

    # Fill the compiled-code and manifest caches, untimed.
    spawn_to_list(args.skill, env, stateless=True)
    raw_calls(args.skill, env, arguments, 1)

    print(f"skill mcp benchmark: {args.skill}")
    row = "{:48} {}"
    for stateless, label in ((True, "raw, 2026 stateless"), (False, "raw, 2025 handshake")):
        runs = [spawn_to_list(args.skill, env, stateless) for _ in range(args.runs)]
        print(row.format(f"spawn -> tools/list ({label}, {runs[0][1]} tools)", figures([r[0] for r in runs])))
    try:
        import mcp  # noqa: F401

        have_sdk = True
    except ImportError:
        have_sdk = False
        print("(no MCP Python SDK: pip install mcp, for the SDK rows)")
    if have_sdk:
        samples = asyncio.run(sdk_spawn_to_list(args.skill, env, args.runs))
        print(row.format("spawn -> tools/list (Python SDK, auto)", figures(samples)))
    for label, arguments in inputs.items():
        samples = raw_calls(args.skill, env, arguments, args.calls)
        print(row.format(f"warm tools/call, {label} (raw pipe)", figures(samples)))
        if have_sdk:
            samples = asyncio.run(sdk_calls(args.skill, env, arguments, args.calls))
            print(row.format(f"warm tools/call, {label} (Python SDK)", figures(samples)))


if __name__ == "__main__":
    main()
