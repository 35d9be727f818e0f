#!/usr/bin/env python3
"""Relative input-file paths over MCP, with the official MCP Python SDK (PyPI `mcp`, 2.x).

Run by `cargo test -p skill-tests --test mcp` (tests/tests/mcp.rs). By hand:

    SKILL_CACHE_DIR=target/test-skill-cache python3 tests/mcp/roots.py --skill target/debug/skill --workspace .

The rule (SKILL.md, references/tools.md): an argument marked `x-skill-input-file` that is a
relative path resolves against the client's first MCP root when the client offers roots,
otherwise against the directory `skill mcp` was started in; an absolute path always works.

The server starts in one folder and the client's first root is another; each holds
`data/inventory.json`, with different secrets, so every result says which one was read.
In both protocol generations (`auto`: the stateless 2026 one, where the server asks for the
roots with an `input_required` result; `legacy`: `initialize`, where it sends `roots/list`),
with a client that offers roots and one that does not, checks that:
- a relative path reads the root's file when the client offers roots, else the server's;
- an absolute path reads that file either way;
- a relative path that is missing under the root is an isError result naming /inventory and
  the path it looked for, under the root;
- the server's folder is never read when roots are offered.

Prints one line per check and `N passed, N failed`; exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from client import Checks, Skill, text_of  # tests/mcp/client.py, beside this file

try:
    from mcp import Client, StdioServerParameters
    from mcp.types import ListRootsResult, Root
except ImportError as error:  # the Rust test checks first; this is for runs by hand
    sys.exit(f"the MCP Python SDK is missing ({error}): pip install mcp jsonschema")

AS_OF = "2026-06-01"
RELATIVE = "data/inventory.json"


def inventory(name: str) -> dict[str, Any]:
    """An inventory with one secret, whose name tells the folders apart."""
    return {"secrets": [{"name": name, "type": "api-key", "last_rotated": "2026-01-01"}]}


def planned(result: Any) -> list[str]:
    """The secret names a rotation plan schedules."""
    return sorted(item["name"] for item in (result.structured_content or {}).get("schedule", []))


async def run(
    checks: Checks, skill: Skill, mode: str, server_dir: Path, root_dir: Path | None
) -> None:
    offers = "with roots" if root_dir else "without roots"
    tag = f"[{mode}, {offers}]"

    async def list_roots(_context: Any) -> ListRootsResult:
        assert root_dir is not None
        # A second root that must never be used: only the first one counts.
        return ListRootsResult(roots=[Root(uri=root_dir.as_uri()), Root(uri=server_dir.as_uri())])

    params = StdioServerParameters(command=skill.binary, args=["mcp"], env=skill.env, cwd=str(server_dir))
    async with Client(
        params,
        mode=mode,
        read_timeout_seconds=120,
        list_roots_callback=list_roots if root_dir else None,
    ) as client:
        stateless = client.protocol_version >= "2026-07-28"
        checks.check(f"{tag} the protocol generation asked for", stateless == (mode == "auto"), client.protocol_version)
        expected = "in-root" if root_dir else "in-server-dir"
        result = await client.call_tool("rotation-planner", {"inventory": RELATIVE, "as_of": AS_OF})
        checks.check(
            f"{tag} a relative path reads the {'first root' if root_dir else 'server folder'}'s file",
            not result.is_error and planned(result) == [expected],
            (text_of(result)[:300], planned(result)),
        )

        for folder, name in ((server_dir, "in-server-dir"), (root_dir, "in-root")):
            if folder is None:
                continue
            absolute = str(folder / RELATIVE)
            result = await client.call_tool("rotation-planner", {"inventory": absolute, "as_of": AS_OF})
            checks.check(
                f"{tag} an absolute path reads that file ({name})",
                not result.is_error and planned(result) == [name],
                text_of(result)[:300],
            )

        missing = "data/missing.json"
        result = await client.call_tool("rotation-planner", {"inventory": missing, "as_of": AS_OF})
        message = text_of(result)
        looked_in = str(root_dir / missing) if root_dir else missing
        checks.check(
            f"{tag} a missing relative file is an isError result naming /inventory and {looked_in}",
            result.is_error and "/inventory" in message and looked_in in message,
            message,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skill", required=True, help="the skill binary")
    parser.add_argument("--workspace", required=True, type=Path, help="the workspace root")
    args = parser.parse_args()
    skill = Skill(args.skill, args.workspace.resolve())
    checks = Checks()
    scratch = Path(tempfile.mkdtemp(prefix="skill-roots-"))
    try:
        # A space in the root's name: its URI is percent-encoded.
        server_dir, root_dir = scratch / "server", scratch / "the root"
        for folder, name in ((server_dir, "in-server-dir"), (root_dir, "in-root")):
            (folder / "data").mkdir(parents=True)
            (folder / RELATIVE).write_text(json.dumps(inventory(name)))
        for mode in ("auto", "legacy"):
            for root in (root_dir, None):
                try:
                    asyncio.run(run(checks, skill, mode, server_dir, root))
                except Exception:  # a broken session is one failure, reported in full
                    checks.check(f"[{mode}] session {'with' if root else 'without'} roots", False, traceback.format_exc())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
