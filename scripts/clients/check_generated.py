#!/usr/bin/env python3
"""Checks that the generators used docs/openapi.yaml fully (scripts/clients/generate.sh runs it).

    check_generated.py docs/openapi.yaml --python DIR --python-log FILE --swift DIR --swift-diagnostics FILE

For each generator:
- it printed no warning (openapi-python-client's log; swift-openapi-generator's diagnostics file);
- every schema of the document became a type (a Python model class for each object schema; a
  Swift struct, enum or typealias for every schema);
- every documented status of every operation is an answer the generated operation knows, and
  every JSON body is parsed into a schema's type (Python: `from_dict`; Swift: `case json(...)` of a
  `Components.Schemas` type), never left untyped.
Prints one line per generator, or the problems and exits 1.
"""

import argparse
import pathlib
import re
import sys

import yaml

METHODS = ("get", "head", "post", "put", "patch", "delete")
# swift-openapi-generator's names of the statuses the document uses.
SWIFT_STATUS_CASES = {
    "200": "ok", "303": "seeOther", "304": "notModified", "400": "badRequest", "401": "unauthorized",
    "403": "forbidden", "404": "notFound", "405": "methodNotAllowed", "406": "notAcceptable",
    "422": "unprocessableContent", "429": "tooManyRequests", "431": "requestHeaderFieldsTooLarge",
    "500": "internalServerError", "503": "serviceUnavailable",
}


def follow(spec, node):
    """The node a local `$ref` points at (followed until it is not a reference)."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for token in node["$ref"][2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec):
    """(operationId, tag, {status: has JSON body}) of every operation."""
    for item in spec["paths"].values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            statuses = {}
            for status, response in operation["responses"].items():
                content = follow(spec, response).get("content") or {}
                statuses[status] = any(media.split(";")[0].strip() == "application/json" for media in content)
            yield operation["operationId"], operation["tags"][0], statuses


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_python(spec, directory, log):
    problems = []
    text = pathlib.Path(log).read_text()
    for line in text.splitlines():
        if "warning" in line.lower():
            problems.append(f"openapi-python-client: {line.strip()}")
    models = pathlib.Path(directory, "models", "__init__.py").read_text()
    exported = set(re.findall(r'"(\w+)"', models.split("__all__", 1)[1]))
    schemas = spec["components"]["schemas"]
    # An allOf of one schema is that schema (closed): the generator merges it, as it should.
    classes = [name for name, schema in schemas.items() if "properties" in schema or len(schema.get("allOf", [])) > 1]
    for name in classes:
        if name not in exported:
            problems.append(f"openapi-python-client: schema {name} has no model")
    answers = 0
    for operation_id, tag, statuses in operations(spec):
        module = pathlib.Path(directory, "api", tag, f"{snake(operation_id)}.py")
        if not module.exists():
            problems.append(f"openapi-python-client: operation {operation_id} was dropped")
            continue
        source = module.read_text()
        parse = source.split("def _parse_response", 1)[1].split("\ndef ", 1)[0]
        branches = dict(re.findall(r"if response\.status_code == (\d+):\n(.*?)(?=\n    if |\Z)", parse, re.S))
        for status, json_body in statuses.items():
            answers += 1
            branch = branches.get(status)
            if branch is None:
                problems.append(f"openapi-python-client: {operation_id} does not parse its {status}")
            elif json_body and ".from_dict(" not in branch:
                problems.append(f"openapi-python-client: {operation_id}'s {status} body is left untyped")
    return problems, f"openapi-python-client: no warnings; {len(classes)} object schemas, each a model; {answers} documented answers, each parsed (JSON bodies into models)"


def check_swift(spec, directory, diagnostics):
    problems = []
    reported = yaml.safe_load(pathlib.Path(diagnostics).read_text()) or {}
    for diagnostic in reported.get("diagnostics") or []:
        problems.append(f"swift-openapi-generator: {diagnostic}")
    source = "\n".join(path.read_text() for path in sorted(pathlib.Path(directory).glob("*.swift")))
    schemas = spec["components"]["schemas"]
    for name in schemas:
        if not re.search(rf"public (?:struct|enum|typealias) {re.escape(name)}\b", source):
            problems.append(f"swift-openapi-generator: schema {name} has no type")
    answers = 0
    for operation_id, _, statuses in operations(spec):
        # The idiomatic naming strategy (scripts/clients/swift-openapi-generator.yaml) capitalizes.
        start = source.find(f"public enum {operation_id[0].upper()}{operation_id[1:]} {{")
        output = source.find("public enum Output", start)
        if start < 0 or output < 0:
            problems.append(f"swift-openapi-generator: operation {operation_id} was dropped")
            continue
        block = source[output:source.find("case undocumented(", output)]
        for status in statuses:
            answers += 1
            if status not in SWIFT_STATUS_CASES:
                problems.append(f"check_generated.py: no Swift case name known for status {status}: add it to SWIFT_STATUS_CASES")
            elif not re.search(rf"\bcase {SWIFT_STATUS_CASES[status]}\(", block):
                problems.append(f"swift-openapi-generator: {operation_id} has no case for its {status}")
    untyped = [line.strip() for line in source.splitlines()
               if re.search(r"\bcase json\(", line) and "Components.Schemas." not in line]
    problems += [f"swift-openapi-generator: an untyped JSON body: {line}" for line in untyped]
    typed = len(re.findall(r"\bcase json\(Components\.Schemas\.", source))
    return problems, f"swift-openapi-generator: no diagnostics; {len(schemas)} schemas, each a type; {answers} documented answers, each a case; {typed} JSON bodies, each a schema's type"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("document")
    parser.add_argument("--python", required=True)
    parser.add_argument("--python-log", required=True)
    parser.add_argument("--swift", required=True)
    parser.add_argument("--swift-diagnostics", required=True)
    arguments = parser.parse_args()
    with open(arguments.document, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    problems = []
    for found, summary in (check_python(spec, arguments.python, arguments.python_log),
                           check_swift(spec, arguments.swift, arguments.swift_diagnostics)):
        problems += found
        if not found:
            print(summary)
    if problems:
        print(f"{len(problems)} problems with the generated clients:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
