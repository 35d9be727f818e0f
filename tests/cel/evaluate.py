#!/usr/bin/env python3
"""Parses and evaluates CEL expressions with cel-python (PyPI `cel-python`, pinned in .ci/run).

Run by tests/tests/provider_gcp.rs on every CEL expression the GCP provider
generates (IAM conditions, workload identity provider attribute conditions and
mappings). Input: a JSON file, a list of cases

    {"name": "...", "expression": "...", "activation": {...} or null, "expect": <value> or null}

An activation is JSON; an object {"$timestamp": "2027-01-01T00:00:00Z"} stands for a
CEL timestamp. A case with an activation is evaluated and its result compared with
`expect`; one without is only parsed. Prints one line per case and
`N passed, N failed`; exits 1 when a case failed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import celpy
from celpy import celtypes


def to_cel(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$timestamp"}:
        return celtypes.TimestampType(value["$timestamp"])
    if isinstance(value, dict):
        return celtypes.MapType({celtypes.StringType(k): to_cel(v) for k, v in value.items()})
    if isinstance(value, list):
        return celtypes.ListType([to_cel(v) for v in value])
    return celpy.json_to_cel(value)


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as file:
        cases = json.load(file)
    env = celpy.Environment()
    passed = failed = 0
    for case in cases:
        name, expression = case["name"], case["expression"]
        try:
            ast = env.compile(expression)
            if case.get("activation") is None:
                result, ok = "parsed", True
            else:
                activation = {k: to_cel(v) for k, v in case["activation"].items()}
                result = env.program(ast).evaluate(activation)
                ok = result == to_cel(case["expect"])
        except Exception as error:  # a parse or evaluation error fails the case
            result, ok = f"{type(error).__name__}: {error}", False
        print(f"{'ok' if ok else 'FAILED'}: {name}: {expression!r} -> {result}")
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
