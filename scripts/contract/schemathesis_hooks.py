"""The envelope rules the schemas leave to the contract (`meta.code` is the status; an error's
`error.type` is its response's `x-error-type`), as a schemathesis check, so the fuzzed responses
are held to them as the tests' own are (scripts/contract/validate_responses.py).

Loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks and this folder on PYTHONPATH
(Tests/EndToEndTests/ContractTests.swift); JOBSTATUS_OPENAPI names the document.
"""

import json
import os

import schemathesis

from openapi_contract import Contract

CONTRACT = Contract(os.environ["JOBSTATUS_OPENAPI"])


@schemathesis.check
def envelope_rules(ctx, response, case):
    """`meta.code` and `error.type` as the document pairs them with the status."""
    found = CONTRACT.operation(case.method, case.formatted_path)
    if found is None or found[1] is None or not response.content:
        return None
    _, operation, pointer = found
    responses = operation.get("responses", {})
    key = str(response.status_code)
    if key not in responses:
        return None  # an undocumented status is schemathesis' own check
    documented, _ = CONTRACT.resolve(responses[key], f"{pointer}/responses/{key}")
    media = (documented.get("content") or {}).get("application/json")
    if media is None:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # a body that is not JSON is schemathesis' own check
    problems = Contract.envelope_problems(media, response.status_code, body)
    if problems:
        raise AssertionError("; ".join(problems))
    return None
