#!/usr/bin/env python3
"""Checks docs/openapi.yaml itself.

    check_document.py docs/openapi.yaml Sources/JobStatusCore/Text/JobStatusVersion.swift

- it is a valid OpenAPI 3.1 document (openapi-spec-validator);
- every response example matches its response's schema and the envelope rules (`meta.code`, and
  `x-error-type`), and every parameter example its parameter's schema (examples are what client
  teams copy);
- every operationId is unique;
- info.version is the version the binary reports.
Exits 1 with the problems listed.
"""

import re
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from openapi_contract import Contract, pointer_token

METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, version_file = sys.argv[1], sys.argv[2]
    document, _ = read_from_filename(path)
    validate(document)

    contract = Contract(path)
    spec = contract.spec
    problems = []
    examples = 0

    checked = set()

    def check_examples(node, pointer, what, status=None):
        nonlocal examples
        node, pointer = contract.resolve(node, pointer)
        if (id(node), status) in checked:  # a $ref or YAML alias seen before
            return
        checked.add((id(node), status))
        candidates = []
        if "example" in node:
            candidates.append(("example", node["example"]))
        for name, example in (node.get("examples") or {}).items():
            example, _ = contract.resolve(example, "")
            candidates.append((name, example.get("value")))
        for name, value in candidates:
            examples += 1
            for error in contract.validate_value(value, pointer + "/schema"):
                problems.append(f"{what}, example {name}: {error}")
            if status is not None:
                for problem in contract.envelope_problems(node, status, value):
                    problems.append(f"{what}, example {name}: {problem}")

    operation_ids = {}
    for template, item in spec["paths"].items():
        item_pointer = f"/paths/{pointer_token(template)}"
        for index, parameter in enumerate(item.get("parameters", [])):
            check_examples(parameter, f"{item_pointer}/parameters/{index}", f"{template} parameter {index}")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation_pointer = f"{item_pointer}/{method}"
            if "operationId" in operation:
                operation_ids.setdefault(operation["operationId"], []).append(f"{method.upper()} {template}")
            for index, parameter in enumerate(operation.get("parameters", [])):
                check_examples(parameter, f"{operation_pointer}/parameters/{index}", f"{method.upper()} {template} parameter {index}")
            for status, response in operation.get("responses", {}).items():
                resolved, response_pointer = contract.resolve(response, f"{operation_pointer}/responses/{status}")
                for media in (resolved.get("content") or {}):
                    check_examples(resolved["content"][media], f"{response_pointer}/content/{pointer_token(media)}",
                                   f"{method.upper()} {template} {status} {media}", status)
    for operation_id, places in operation_ids.items():
        if len(places) > 1:
            problems.append(f"operationId {operation_id} is used by {', '.join(places)}")

    with open(version_file, encoding="utf-8") as file:
        match = re.search(r'"(\d+\.\d+\.\d+[^"]*)"', file.read())
    if match is None or match.group(1) != spec["info"]["version"]:
        problems.append(f"info.version {spec['info']['version']} is not the binary's version "
                        f"({match.group(1) if match else 'not found'} in {version_file})")

    if problems:
        print(f"{path}: {len(problems)} problems", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        sys.exit(1)
    print(f"{path}: valid OpenAPI {spec['openapi']}; {examples} examples match their schemas; "
          f"{len(operation_ids)} operationIds, all unique; version {spec['info']['version']}")


if __name__ == "__main__":
    main()
