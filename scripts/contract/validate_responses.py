#!/usr/bin/env python3
"""Checks every response the end-to-end tests received against docs/openapi.yaml.

    validate_responses.py docs/openapi.yaml responses.jsonl

Each line of the log (written by the tests' ContractLog) is one response with the method and
target of its request. A request to a path the document describes must get a documented answer;
a method the path does not list must get the 405 the document describes for that case; requests
outside the document (hostile input aimed at no path) are counted and left alone. Exits 1 and lists the problems when any response does not conform.
"""

import json
import sys
from collections import Counter

from openapi_contract import Contract


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    contract = Contract(sys.argv[1])
    checked = Counter()
    outside = Counter()
    failures = []
    with open(sys.argv[2], encoding="utf-8") as log:
        for number, line in enumerate(log, 1):
            entry = json.loads(line)
            found = contract.operation(entry["method"], entry["target"])
            if found is None:
                outside[entry["status"]] += 1
                continue
            template, operation, pointer = found
            if operation is None:
                # A method the path does not list: the document promises 405 (MethodNotAllowed).
                operation = contract.undocumented_method
                pointer = contract.undocumented_method_pointer
                template = f"{template} (method not listed)"
            body = entry["body"]
            problems = contract.check(operation, pointer, entry["status"], entry["headers"], body or "", body is not None)
            checked[(entry["method"], template, entry["status"])] += 1
            for problem in problems:
                failures.append(f"line {number}: {entry['method']} {entry['target']} -> {entry['status']}: {problem}")

    total = sum(checked.values())
    print(f"contract: {total} responses checked against {sys.argv[1]} "
          f"({len(checked)} method/path/status combinations); {sum(outside.values())} to undocumented paths skipped")
    for (method, template, status), count in sorted(checked.items()):
        print(f"  {method:6} {template:26} {status}  x{count}")
    if total == 0:
        sys.exit("contract: no responses were recorded; is JOBSTATUS_CONTRACT_LOG set for the tests?")
    if failures:
        print(f"contract: {len(failures)} responses do not conform:", file=sys.stderr)
        for failure in failures[:200]:
            print("  " + failure, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
