#!/usr/bin/env python3
"""Drives installed provider plugins through `skill mcp` with the official MCP Python SDK.

Run by `cargo test --workspace --test provider_aws` and `--test provider_gcp`
(tests/tests/provider_*.rs, through `skill_tests::checkers::mcp_calls`), which install
the provider into a temporary SKILL_HOME first. By hand:

    SKILL_HOME=/tmp/h python3 tests/mcp/providers.py --skill target/debug/skill \\
        --workspace . --call aws-secrets-manager=@request.json

For each `--call TOOL=@FILE` (a valid input): the tool is listed with object-root
schemas and no `$ref`; the call succeeds, its `structuredContent` matches the output
schema and equals `skill run TOOL --format json` on the same input; an argument with a
hostile name comes back as an `isError` result with the CLI's message, JSON Pointer included.
Prints one line per check and `N passed, N failed`; exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from client import Checks, Skill, cli_error, has_ref, text_of

import jsonschema
from mcp import Client


def hostile(arguments: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The arguments with a policy-injecting name in their first list of names, and its pointer."""
    for key, value in arguments.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return {**arguments, key: [*value, 'x", "Resource": "*']}, f"/{key}/{len(value)}"
    raise ValueError("the input has no list of names")


async def session(checks: Checks, skill: Skill, calls: dict[str, dict[str, Any]]) -> None:
    async with Client(skill.params(), read_timeout_seconds=120) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        for name, arguments in calls.items():
            tool = tools.get(name)
            if not checks.check(f"{name}: listed", tool is not None, sorted(tools)):
                continue
            checks.check(
                f"{name}: object-root schemas without $ref",
                tool.input_schema.get("type") == "object"
                and tool.output_schema.get("type") == "object"
                and not has_ref(tool.input_schema)
                and not has_ref(tool.output_schema),
            )
            result = await client.call_tool(name, arguments)
            if not checks.check(f"{name}: runs", not result.is_error, text_of(result)):
                continue
            errors = list(jsonschema.Draft202012Validator(tool.output_schema).iter_errors(result.structured_content))
            checks.check(f"{name}: structuredContent matches the output schema", not errors, errors[:3])
            run = skill.cli("run", name, "--input", json.dumps(arguments), "--format", "json")
            checks.check(
                f"{name}: the same output as `skill run --format json`",
                run.returncode == 0 and json.loads(run.stdout) == result.structured_content,
                run.stderr,
            )
            bad, pointer = hostile(arguments)
            result = await client.call_tool(name, bad)
            message = text_of(result)
            checks.check(
                f"{name}: a hostile name is an isError result naming {pointer}",
                result.is_error and pointer in message and message.strip() == cli_error(skill, name, bad),
                (message, cli_error(skill, name, bad)),
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skill", required=True, help="the skill binary")
    parser.add_argument("--workspace", required=True, type=Path, help="the workspace root")
    parser.add_argument("--call", action="append", default=[], help="TOOL=@FILE, a valid input")
    args = parser.parse_args()
    calls = {}
    for call in args.call:
        tool, _, source = call.partition("=@")
        calls[tool] = json.loads(Path(source).read_text())
    skill = Skill(args.skill, args.workspace.resolve())
    checks = Checks()
    try:
        asyncio.run(session(checks, skill, calls))
    except Exception:
        checks.check("session", False, traceback.format_exc())
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
