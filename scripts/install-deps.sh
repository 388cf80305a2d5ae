#!/usr/bin/env bash
# Installs what building, running and testing jobstatus needs and is missing on a Debian machine:
# hiredis (headers + pkg-config), redis-server, redis-cli, nginx, openssl, prometheus (and promtool),
# kubectl, and the Python packages of the examples and the tests. Runs apt-get as root, or through
# sudo otherwise.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# The TLS tests and benchmark make their certificates (scripts/testing/make_test_certificates.sh).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# The alert rules' tests (promtool) and the real Prometheus that scrapes the fronts.
[ -x /usr/bin/promtool ] && [ -x /usr/bin/prometheus ] || missing+=(prometheus)
# Renders deploy/kubernetes (kubectl kustomize); Debian's kubectl when the machine has none.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)

if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python worker example and poll client, the load and benchmark scripts, the Compose check,
# the contract tests (the OpenAPI document's validator, schemathesis), and the checks of the
# dashboard (Grafana's schema as grafana-foundation-sdk models it, a PromQL parser) and of the
# Kubernetes manifests (the Kubernetes schemas).
python_missing=()
python3 -c 'import redis' >/dev/null 2>&1 || python_missing+=('redis>=4,<7')
python3 -c 'import yaml' >/dev/null 2>&1 || python_missing+=('pyyaml')
python3 -c 'import requests' >/dev/null 2>&1 || python_missing+=('requests>=2.28')
python3 -c 'import openapi_spec_validator' >/dev/null 2>&1 || python_missing+=('openapi-spec-validator>=0.7')
python3 -c 'import jsonschema, referencing' >/dev/null 2>&1 || python_missing+=('jsonschema>=4.18' 'referencing')
python3 -c 'import schemathesis.cli' >/dev/null 2>&1 || python_missing+=('schemathesis>=4,<5')
python3 -c 'import grafana_foundation_sdk' >/dev/null 2>&1 || python_missing+=('grafana-foundation-sdk==1769699998!10.1.0')
python3 -c 'import promql_parser' >/dev/null 2>&1 || python_missing+=('promql-parser==0.12.0')
python3 -c 'import kubernetes_validate' >/dev/null 2>&1 || python_missing+=('kubernetes-validate==1.37.0')
# The Python client (clients/python: httpx, attrs) and its tests (pytest); the generator of its
# models, whose output the test command checks (scripts/clients/generate.sh --check).
python3 -c 'import httpx' >/dev/null 2>&1 || python_missing+=('httpx>=0.23,<1')
python3 -c 'import attrs' >/dev/null 2>&1 || python_missing+=('attrs>=22.2')
python3 -c 'import pytest' >/dev/null 2>&1 || python_missing+=('pytest>=7')
# The OTLP receiver of the tracing tests (scripts/testing/otlp_receiver.py) decodes what the front sends.
python3 -c 'import opentelemetry.proto.collector.trace.v1.trace_service_pb2' >/dev/null 2>&1 || python_missing+=('opentelemetry-proto>=1.20')
[ "$(openapi-python-client --version 2>/dev/null | awk '{print $NF}')" = "0.29.1" ] || python_missing+=('openapi-python-client==0.29.1')
if [ "${#python_missing[@]}" -gt 0 ]; then
    echo "installing Python packages: ${python_missing[*]}"
    # A Debian-managed Python refuses plain pip installs (PEP 668); this machine's tools are ours.
    python3 -m pip install --quiet --disable-pip-version-check "${python_missing[@]}" ||
        python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${python_missing[@]}"
fi
