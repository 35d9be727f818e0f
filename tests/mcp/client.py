#!/usr/bin/env python3
"""Drives `skill mcp` with the official MCP Python SDK (PyPI `mcp`, 2.x), as an agent would.

Run by `cargo test -p skill-tests --test mcp` (tests/tests/mcp.rs), which installs the
hostile test plugin into a temporary SKILL_HOME first. By hand:

    SKILL_HOME=/tmp/h SKILL_CACHE_DIR=target/test-skill-cache \\
        python3 tests/mcp/client.py --skill target/debug/skill --workspace .

Checks, in both protocol generations (`mode="auto"`: the stateless 2026 `server/discover`;
`mode="legacy"`: the 2025 `initialize` handshake):
- `tools/list` is `skill list` (same tools, same order) with object-root schemas, no `$ref`,
  and `readOnlyHint` where the tool is read-only;
- every tool of the first-party plugins runs on a valid input; its `structuredContent`
  matches its output schema and `skill run --format json`, and the text block is the same JSON;
- bad arguments (wrong type, unknown argument, a file that is not there) are `isError`
  results naming the JSON Pointer, with the CLI's message word for word;
- an unknown tool is a JSON-RPC error; a third-party plugin's tools are served and sandboxed.
Then, on a raw pipe: a malformed line gets a JSON-RPC parse error and the session goes on,
stdout carries nothing but JSON-RPC messages even with debug logging on, and a call stuck
until its time limit holds up neither the session nor the calls after it.

Prints one line per check and `N passed, N failed`; exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

try:
    import jsonschema
    from mcp import Client, MCPError, StdioServerParameters
except ImportError as error:  # the Rust test checks first; this is for runs by hand
    sys.exit(f"the MCP Python SDK is missing ({error}): pip install mcp jsonschema")

# Valid inputs for the first-party tools, shared with the tool reference generator
# (`tests/src/docs.rs`). Paths are relative to the workspace and made absolute:
# over MCP, files go by path.
EXAMPLES: dict[str, dict[str, Any]] = json.loads((Path(__file__).parent.parent / "tool-examples.json").read_text())

# The plugin `tests/plugins/hostile`, installed by the test as a third party.
THIRD_PARTY = "hostile"


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}: {detail}")
        return ok


class Skill:
    """The binary under test, and how to start it."""

    def __init__(self, binary: str, workspace: Path) -> None:
        self.binary = binary
        self.workspace = workspace
        self.env = {k: os.environ[k] for k in ("SKILL_HOME", "SKILL_CACHE_DIR") if k in os.environ}

    def params(self) -> StdioServerParameters:
        return StdioServerParameters(command=self.binary, args=["mcp"], env=self.env, cwd=str(self.workspace))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, *args],
            capture_output=True,
            text=True,
            cwd=self.workspace,
            env={**os.environ, **self.env},
            timeout=120,
        )

    def listing(self) -> list[dict[str, Any]]:
        run = self.cli("list", "--format", "json")
        if run.returncode != 0:
            raise RuntimeError(f"skill list failed: {run.stderr}")
        return json.loads(run.stdout)["tools"]


def absolute_files(arguments: dict[str, Any], schema: dict[str, Any], workspace: Path) -> dict[str, Any]:
    """Makes the input-file paths of an example absolute."""
    out = dict(arguments)
    for name, prop in schema.get("properties", {}).items():
        if prop.get("x-skill-input-file") and isinstance(out.get(name), str):
            out[name] = str(workspace / out[name])
        elif (
            isinstance(prop.get("items"), dict)
            and prop["items"].get("x-skill-input-file")
            and isinstance(out.get(name), list)
        ):
            out[name] = [str(workspace / path) for path in out[name]]
    return out


def has_ref(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "$ref" in schema or "$defs" in schema or any(has_ref(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_ref(v) for v in schema)
    return False


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")


def cli_error(skill: Skill, tool: str, arguments: dict[str, Any]) -> str:
    """The message `skill run` prints for the same input, without its `error: ` prefix."""
    run = skill.cli("run", tool, "--input", json.dumps(arguments), "--format", "json")
    return run.stderr.strip().removeprefix("error: ")


async def session(checks: Checks, skill: Skill, mode: str, listing: list[dict[str, Any]]) -> None:
    tag = f"[{mode}]"
    async with Client(skill.params(), mode=mode, read_timeout_seconds=120) as client:
        era = client.protocol_version
        if mode == "auto":
            checks.check(f"{tag} negotiated the stateless protocol", era >= "2026-07-28", era)
        else:
            checks.check(f"{tag} negotiated a handshake-era protocol", era < "2026-07-28", era)

        tools = (await client.list_tools()).tools
        names = [tool.name for tool in tools]
        checks.check(
            f"{tag} tools/list is `skill list`, in its order",
            names == [t["name"] for t in listing],
            f"{names} != {[t['name'] for t in listing]}",
        )
        read_only = {t["name"]: t["read_only"] for t in listing}
        by_name = {tool.name: tool for tool in tools}
        for tool in tools:
            ok = (
                isinstance(tool.input_schema, dict)
                and tool.input_schema.get("type") == "object"
                and isinstance(tool.output_schema, dict)
                and tool.output_schema.get("type") == "object"
                and not has_ref(tool.input_schema)
                and not has_ref(tool.output_schema)
            )
            checks.check(f"{tag} {tool.name}: object-root schemas without $ref", ok, tool)
            hint = tool.annotations.read_only_hint if tool.annotations else None
            checks.check(
                f"{tag} {tool.name}: readOnlyHint", hint == (True if read_only.get(tool.name) else None), hint
            )
            checks.check(f"{tag} {tool.name}: described", bool(tool.description and tool.title), tool)
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)

        first_party = [t["name"] for t in listing if t["plugin"] != THIRD_PARTY]
        for name in first_party:
            if not checks.check(f"{tag} {name}: has an example input here", name in EXAMPLES, "add one to EXAMPLES"):
                continue
            tool = by_name[name]
            arguments = absolute_files(EXAMPLES[name], tool.input_schema, skill.workspace)
            result = await client.call_tool(name, arguments)
            if not checks.check(f"{tag} {name}: runs", not result.is_error, text_of(result)):
                continue
            errors = list(jsonschema.Draft202012Validator(tool.output_schema).iter_errors(result.structured_content))
            checks.check(f"{tag} {name}: structuredContent matches the output schema", not errors, errors[:3])
            checks.check(
                f"{tag} {name}: the text block is the same JSON",
                json.loads(text_of(result)) == result.structured_content,
                text_of(result)[:200],
            )
            run = skill.cli("run", name, "--input", json.dumps(arguments), "--format", "json")
            checks.check(
                f"{tag} {name}: same result as `skill run --format json`",
                run.returncode == 0 and json.loads(run.stdout) == result.structured_content,
                run.stderr,
            )

        # Inline input, as an agent without files would send it.
        inline = {"secrets": [{"name": "db", "type": "database", "last_rotated": "2026-01-01"}], "as_of": "2026-06-01"}
        result = await client.call_tool("rotation-planner", inline)
        checks.check(f"{tag} rotation-planner: inline secrets", not result.is_error, text_of(result))

        bad_inputs = {
            "a wrong type": ({"policy": 30, "as_of": "2026-06-01"}, "/policy"),
            "an unknown argument": ({"surprise": 1, "as_of": "2026-06-01"}, "surprise"),
            "a missing file": ({"inventory": "/nonexistent/inventory.json", "as_of": "2026-06-01"}, "/inventory"),
        }
        for what, (arguments, expected) in bad_inputs.items():
            result = await client.call_tool("rotation-planner", arguments)
            message = text_of(result)
            checks.check(
                f"{tag} {what} is an isError result naming {expected}",
                result.is_error and expected in message and result.structured_content is None,
                message,
            )
            cli = cli_error(skill, "rotation-planner", arguments)
            checks.check(f"{tag} {what}: the CLI's message, word for word", message == cli, f"{message!r} != {cli!r}")

        try:
            await client.call_tool("no-such-tool", {})
            checks.check(f"{tag} an unknown tool is a JSON-RPC error", False, "no error")
        except MCPError as error:
            checks.check(
                f"{tag} an unknown tool is a JSON-RPC error",
                error.code == -32602 and "no-such-tool" in error.error.message,
                error.error,
            )

        result = await client.call_tool("echo", {"message": "hi"})
        checks.check(
            f"{tag} third-party echo",
            not result.is_error and result.structured_content == {"value": "ok"},
            (result.structured_content, text_of(result)),
        )
        result = await client.call_tool("panic", {})
        checks.check(
            f"{tag} third-party panic is an isError result",
            result.is_error and "hostile/panic crashed" in text_of(result),
            text_of(result),
        )
        result = await client.call_tool("read-passwd", {})
        checks.check(
            f"{tag} third-party plugin cannot read files it was not given",
            result.is_error and "hostile/read-passwd" in text_of(result),
            text_of(result),
        )


def raw_pipe(checks: Checks, skill: Skill) -> None:
    """A malformed line by hand, without the SDK (which never sends one)."""
    env = {**os.environ, **skill.env, "RUST_LOG": "debug"}
    server = subprocess.Popen(
        [skill.binary, "--timeout", "2", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=skill.workspace,
    )
    assert server.stdin and server.stdout
    # A server that stops answering must fail the check, not hang the test.
    watchdog = threading.Timer(120, server.kill)
    watchdog.start()

    def send(line: bytes) -> None:
        server.stdin.write(line + b"\n")
        server.stdin.flush()

    def until(request_id: int) -> list[dict[str, Any]]:
        """Messages up to and including the response to `request_id`."""
        seen = []
        while True:
            line = server.stdout.readline()
            if not line:
                raise RuntimeError(f"stdout closed before the response to {request_id}; seen {seen}")
            message = json.loads(line)  # anything but JSON-RPC on stdout fails here
            seen.append(message)
            if message.get("id") == request_id:
                return seen

    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        }
        send(json.dumps(initialize).encode())
        until(1)
        send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
        send(b'{"jsonrpc":"2.0","id":2,"method":"tools/list"')  # cut short
        send(b'{"jsonrpc":"2.0","id":3,"method":"tools/list"}')
        seen = until(3)
        parse_errors = [m for m in seen if m.get("error", {}).get("code") == -32700 and m.get("id") is None]
        checks.check("raw: a malformed line gets a JSON-RPC parse error", len(parse_errors) == 1, seen)
        checks.check("raw: the session goes on after it", bool(seen[-1].get("result", {}).get("tools")), seen[-1])
        send(b"\xff\xfe not utf-8 either")
        send(b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
        seen = until(4)
        checks.check(
            "raw: and after bytes that are not UTF-8",
            any(m.get("error", {}).get("code") == -32700 for m in seen)
            and seen[-1].get("result", {}).get("structuredContent") == {"value": "ok"},
            seen,
        )
        # A call that runs into its time limit holds up neither the session nor other calls.
        started = time.monotonic()
        send(b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"loop-forever","arguments":{}}}')
        send(b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
        seen = until(6)
        checks.check(
            "raw: a long call does not hold up the next one",
            time.monotonic() - started < 1.5 and all(m.get("id") != 5 for m in seen),
            seen,
        )
        stopped = until(5)[-1].get("result", {})
        checks.check(
            "raw: a call stopped at its time limit is an isError result",
            stopped.get("isError") is True and "hostile/loop-forever was stopped" in stopped["content"][0]["text"],
            stopped,
        )
    finally:
        watchdog.cancel()
        server.stdin.close()
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = "still running"
    checks.check("raw: exits cleanly when stdin closes", code == 0, code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skill", required=True, help="the skill binary")
    parser.add_argument("--workspace", required=True, type=Path, help="the workspace root")
    args = parser.parse_args()
    skill = Skill(args.skill, args.workspace.resolve())
    checks = Checks()
    listing = skill.listing()
    checks.check(
        f"the third-party plugin `{THIRD_PARTY}` is installed",
        any(t["plugin"] == THIRD_PARTY for t in listing),
        "install it first",
    )
    for mode in ("auto", "legacy"):
        try:
            asyncio.run(session(checks, skill, mode, listing))
        except Exception:  # a broken session is one failure, reported in full
            checks.check(f"[{mode}] session", False, traceback.format_exc())
    try:
        raw_pipe(checks, skill)
    except Exception:
        checks.check("raw pipe", False, traceback.format_exc())
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
