#!/usr/bin/env python3
"""Renders and checks the Kubernetes manifests (deploy/kubernetes, a kustomize base).

    check_kubernetes.py deploy/kubernetes [KUBERNETES_VERSION]

- renders them with `kubectl kustomize` (no cluster needed);
- validates every resource against the Kubernetes schemas of KUBERNETES_VERSION (default 1.31.0)
  with kubernetes-validate, strictly (an unknown field is an error);
- checks what the schemas cannot: the probes hit /health/ready and /health/live on a declared
  port; terminationGracePeriodSeconds outlasts preStop plus http.shutdown_timeout (so a rolling
  update loses no poll); non-root, read-only filesystem, no privilege escalation, no capabilities;
  requests and a memory limit; the ConfigMap's jobstatus.json sets only keys the README documents
  and its ports are the container's; the Secret and ConfigMap the pod mounts exist with the files
  the environment names; the Service and the PodDisruptionBudget select the pods.
Prints the rendered resources; exits 1 with the problems listed.
"""
import json
import pathlib
import re
import subprocess
import sys

import kubernetes_validate
import yaml

from problems import exit_if_any

ROOT = pathlib.Path(__file__).resolve().parents[2]


def seconds(text):
    value, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", str(text)).groups()
    return float(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[unit]


def documented_keys():
    """The settings the README's table lists (`http.port`, `redis.tls.ca_file`, …)."""
    return set(re.findall(r"^\| `([a-z_.]+)` \|", (ROOT / "README.md").read_text(), re.M))


def flatten(document, prefix=""):
    for key, value in document.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def main():
    directory = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else "1.31.0"
    rendered = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True)
    if rendered.returncode != 0:
        sys.exit(f"kubectl kustomize {directory} failed:\n{rendered.stderr}")
    resources = [document for document in yaml.safe_load_all(rendered.stdout) if document]
    problems = []
    by_kind = {}
    for resource in resources:
        kind, name = resource["kind"], resource["metadata"]["name"]
        by_kind.setdefault(kind, {})[name] = resource
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{kind}/{name}: {error.message} (at {'.'.join(map(str, error.path))})")
        except kubernetes_validate.utils.SchemaNotFoundError as error:
            problems.append(f"{kind}/{name}: no schema for it in Kubernetes {version}: {error}")

    deployment = next(iter(by_kind.get("Deployment", {}).values()), None)
    if deployment is None:
        sys.exit("no Deployment rendered")
    pod = deployment["spec"]["template"]
    spec = pod["spec"]
    container = spec["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live")):
        get = container.get(probe, {}).get("httpGet", {})
        if get.get("path") != path:
            problems.append(f"{probe} must GET {path}, not {get.get('path')}")
        if get.get("port") not in ports and get.get("port") not in ports.values():
            problems.append(f"{probe} uses port {get.get('port')}, which the container does not declare")

    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    environment = {variable["name"]: variable.get("value") for variable in container.get("env", [])}
    config_map = by_kind.get("ConfigMap", {}).get(next((v["configMap"]["name"] for v in volumes.values() if "configMap" in v), ""))
    settings = {}
    if config_map is None:
        problems.append("the pod mounts no ConfigMap that was rendered")
    else:
        settings = json.loads(config_map["data"]["jobstatus.json"])
        unknown = sorted(key for key, _ in flatten(settings) if key not in documented_keys())
        if unknown:
            problems.append(f"jobstatus.json sets keys the README does not document: {unknown}")
        if settings.get("http", {}).get("port") != ports.get("http"):
            problems.append(f"http.port {settings.get('http', {}).get('port')} is not the container's http port {ports.get('http')}")
        if settings.get("metrics", {}).get("port") != ports.get("metrics"):
            problems.append(f"metrics.port {settings.get('metrics', {}).get('port')} is not the container's metrics port {ports.get('metrics')}")
    shutdown = seconds(settings.get("http", {}).get("shutdown_timeout", "10s"))
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if not pre_stop:
        problems.append("no preStop sleep: the pod stops while the load balancer still sends to it")
    if grace <= pre_stop + shutdown:
        problems.append(f"terminationGracePeriodSeconds {grace} does not outlast preStop {pre_stop} s + http.shutdown_timeout {shutdown} s")

    secret_name = next((v["secret"]["secretName"] for v in volumes.values() if "secret" in v), None)
    secret = by_kind.get("Secret", {}).get(secret_name)
    if secret is None:
        problems.append(f"the pod mounts Secret {secret_name}, which was not rendered")
    else:
        files = set(secret.get("stringData", {})) | set(secret.get("data", {}))
        for variable in ("AUTH_TOKENS_FILE", "REDIS_PASSWORD_FILE"):
            path = environment.get(variable, "")
            directory_of, _, file = path.rpartition("/")
            if volumes.get(mounts.get(directory_of), {}).get("secret", {}).get("secretName") != secret_name or file not in files:
                problems.append(f"{variable}={path} is not a file of the mounted Secret {secret_name} ({sorted(files)})")
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {}).get("configMapKeyRef")
        if reference and (config_map is None or reference["name"] != config_map["metadata"]["name"]
                          or reference["key"] not in config_map["data"]):
            problems.append(f"{variable['name']} reads {reference['name']}/{reference['key']}, which the mounted ConfigMap does not hold")
    if environment.get("JOBSTATUS_CONFIG", "").rpartition("/")[0] not in mounts:
        problems.append(f"JOBSTATUS_CONFIG={environment.get('JOBSTATUS_CONFIG')} is not in a mounted volume")

    security = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
    for field, wanted in (("runAsNonRoot", True), ("readOnlyRootFilesystem", True), ("allowPrivilegeEscalation", False)):
        if security.get(field) is not wanted:
            problems.append(f"securityContext.{field} must be {wanted}")
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("securityContext.capabilities must drop ALL")
    resources_spec = container.get("resources", {})
    for path in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory")):
        if path[1] not in resources_spec.get(path[0], {}):
            problems.append(f"resources.{'.'.join(path)} is not set")

    labels = pod["metadata"].get("labels", {})
    for kind in ("Service", "PodDisruptionBudget"):
        for name, resource in by_kind.get(kind, {}).items():
            selector = resource["spec"]["selector"]
            selector = selector.get("matchLabels", selector) if kind == "PodDisruptionBudget" else selector
            if not selector or any(labels.get(key) != value for key, value in selector.items()):
                problems.append(f"{kind}/{name} does not select the pods ({selector} vs {labels})")
        if not by_kind.get(kind):
            problems.append(f"no {kind} rendered")
    for name, service in by_kind.get("Service", {}).items():
        for port in service["spec"]["ports"]:
            if port.get("targetPort") not in ports:
                problems.append(f"Service/{name} targets port {port.get('targetPort')}, which the container does not declare")

    print(f"kubectl kustomize {directory}: {len(resources)} resources, validated against Kubernetes {version} (strict):")
    for resource in resources:
        print(f"  {resource['apiVersion']:20} {resource['kind']}/{resource['metadata']['name']}")
    print(f"  pod: {container['image']}, ports {ports}, grace {grace} s (preStop {pre_stop} s, shutdown {shutdown:g} s), "
          f"requests {resources_spec.get('requests')}, limits {resources_spec.get('limits')}")
    exit_if_any(problems)


if __name__ == "__main__":
    main()
