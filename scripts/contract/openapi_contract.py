"""Checks HTTP responses against docs/openapi.yaml.

One response is described by the operation of its request (method and path template) and its
status. It conforms when:

- the status is documented for that operation;
- every header it carries is documented for that response, apart from the framing headers
  (Content-Type, Content-Length, Date, Connection, Transfer-Encoding), every required header is
  there, and each value matches its schema;
- its Content-Type is one the response documents, and a JSON body matches the schema, carries
  the response's status as `meta.code` and, for an error, the `error.type` the response names in
  `x-error-type`.

Used by validate_responses.py (every response the end-to-end tests received) and
check_document.py (every example in the document).
"""

import json
import re
import urllib.parse

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FRAMING_HEADERS = {"content-type", "content-length", "date", "connection", "transfer-encoding"}
DOCUMENT_URI = "urn:jobstatus:openapi"


def pointer_token(name):
    return str(name).replace("~", "~0").replace("/", "~1")


class Contract:
    def __init__(self, path):
        with open(path, encoding="utf-8") as file:
            self.spec = yaml.safe_load(file)
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)
        # What a method no path lists gets: 405, unless the request is not even valid HTTP (400)
        # or its head is too large (431), which every request can get.
        self.undocumented_method = {"responses": {
            "400": {"$ref": "#/components/responses/BadRequest"},
            "405": {"$ref": "#/components/responses/MethodNotAllowed"},
            "431": {"$ref": "#/components/responses/HeadersTooLarge"},
        }}
        self.undocumented_method_pointer = "/undocumented-method"
        self.routes = []
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            # The server matches the `jobs` segment in any case (the published links say `/Jobs/`).
            self.routes.append((re.compile(pattern, re.IGNORECASE), template, item))

    # Locating what the document says

    def resolve(self, node, pointer):
        """Follows local $refs; returns the node and the JSON pointer where it lives."""
        while isinstance(node, dict) and "$ref" in node:
            reference = node["$ref"]
            assert reference.startswith("#/"), reference
            pointer = reference[1:]
            node = self.spec
            for token in pointer[1:].split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def operation(self, method, target):
        """(template, operation, pointer) for a request, or None when no documented path matches."""
        path = urllib.parse.urlsplit(target).path
        for pattern, template, item in self.routes:
            if pattern.match(path):
                operation = item.get(method.lower())
                pointer = f"/paths/{pointer_token(template)}/{method.lower()}"
                return template, operation, pointer
        return None

    def validate_value(self, value, pointer):
        """Schema errors of `value` against the schema at `pointer` (a list of strings)."""
        fragment = urllib.parse.quote(pointer, safe="/~")
        validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{fragment}"}, registry=self.registry)
        return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
                for error in validator.iter_errors(value)]

    # Checking one response

    def check(self, operation, pointer, status, headers, body, has_body):
        """Problems of one response to `operation` (a list of strings; empty when it conforms)."""
        responses = operation.get("responses", {})
        key = str(status) if str(status) in responses else "default" if "default" in responses else None
        if key is None:
            return [f"status {status} is not documented (documented: {', '.join(sorted(responses))})"]
        response, response_pointer = self.resolve(responses[key], f"{pointer}/responses/{key}")
        problems = []

        documented = {}
        for name, header in (response.get("headers") or {}).items():
            resolved, header_pointer = self.resolve(header, f"{response_pointer}/headers/{pointer_token(name)}")
            documented[name.lower()] = (name, resolved, header_pointer)
        received = {}
        for name, value in headers:
            received.setdefault(name.lower(), []).append(value)
        for name, values in received.items():
            if name in FRAMING_HEADERS:
                continue
            if name not in documented:
                problems.append(f"header {name} is not documented for {status}")
                continue
            if len(values) > 1:
                problems.append(f"header {name} appears {len(values)} times")
            _, header, header_pointer = documented[name]
            schema = header.get("schema", {})
            value = values[0]
            if schema.get("type") == "integer":
                try:
                    value = int(value)
                except ValueError:
                    problems.append(f"header {name}: {value!r} is not an integer")
                    continue
            for error in self.validate_value(value, header_pointer + "/schema"):
                problems.append(f"header {name}: {error}")
        for name, (original, header, _) in documented.items():
            if header.get("required") and name not in received:
                problems.append(f"required header {original} is missing")

        content = response.get("content") or {}
        content_type = (received.get("content-type") or [None])[0]
        if not content:
            if has_body and body:
                problems.append(f"{status} documents no body but one was sent")
            if content_type is not None:
                problems.append(f"{status} documents no body but Content-Type is {content_type}")
            return problems
        if content_type is None:
            if has_body:
                problems.append("Content-Type is missing")
            return problems
        essence = content_type.split(";")[0].strip().lower()
        media = next((name for name in content if name.split(";")[0].strip().lower() == essence), None)
        if media is None:
            problems.append(f"Content-Type {content_type} is not documented for {status} ({', '.join(content)})")
            return problems
        if not has_body:
            return problems
        if essence == "application/json":
            try:
                document = json.loads(body)
            except ValueError as error:
                return problems + [f"body is not JSON: {error}"]
            schema_pointer = f"{response_pointer}/content/{pointer_token(media)}/schema"
            problems += [f"body {error}" for error in self.validate_value(document, schema_pointer)]
            problems += [f"body {problem}" for problem in self.envelope_problems(content[media], status, document)]
        return problems

    @staticmethod
    def envelope_problems(media, status, document):
        """What the schemas leave to the envelope rules (a list of strings): `meta.code` is the
        response's status, and an error's `error.type` is the one its response names in
        `x-error-type`. (One schema per error status would say the same, but generators make a
        type of each; the document keeps one `ErrorEnvelope` and states the pairing here.)"""
        if not isinstance(document, dict):
            return []
        problems = []
        meta = document.get("meta")
        if isinstance(meta, dict) and "code" in meta and str(meta["code"]) != str(status):
            problems.append(f"meta/code: {meta['code']!r} is not the status {status}")
        expected = media.get("x-error-type")
        if expected is not None:
            error = document.get("error")
            found = error.get("type") if isinstance(error, dict) else None
            if found != expected:
                problems.append(f"error/type: {found!r} is not {expected!r} (x-error-type)")
        return problems
