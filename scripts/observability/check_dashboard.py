#!/usr/bin/env python3
"""Checks the Grafana dashboard (Config/grafana/jobstatus.json) against Grafana's dashboard schema,
a real Prometheus and a real scrape of a front.

    check_dashboard.py DASHBOARD PROMETHEUS_URL SCRAPE_FILE

- Schema: the dashboard goes through grafana-foundation-sdk's model of Grafana's dashboard schema
  (its panel plugins included) and back; a key the model does not know is dropped, a value of the
  wrong kind changes: either is an error. Panel ids are unique and panels fit the 24-column grid
  without overlapping.
- PromQL: every query (targets and template variables), with the dashboard's variables replaced,
  runs on the real Prometheus without error.
- Metrics: every metric a query names is in the scrape of a real front (SCRAPE_FILE, its
  /metrics), and every label it matches or groups by is one that metric carries there (or, for
  `job` and `instance`, one Prometheus attaches: checked on Prometheus' own series).
Prints what it checked; exits 1 with the problems listed.
"""
import json
import re
import sys
import urllib.parse
import urllib.request

import promql_parser
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from problems import exit_if_any

VARIABLES = {"$__rate_interval": "1m", "$job": "jobstatus", "$instance": ".*", "${datasource}": "prometheus"}
TARGET_LABELS = {"job", "instance"}


def lost_in_round_trip(original, kept, path=""):
    """Where `kept` (the schema model's output) lacks or changed something of `original`."""
    if isinstance(original, dict):
        for key, value in original.items():
            if not isinstance(kept, dict) or key not in kept:
                yield f"{path}.{key}: not in the schema"
            else:
                yield from lost_in_round_trip(value, kept[key], f"{path}.{key}")
    elif isinstance(original, list):
        if not isinstance(kept, list) or len(kept) != len(original):
            yield f"{path}: not a list of {len(original)}"
            return
        for index, (value, other) in enumerate(zip(original, kept)):
            yield from lost_in_round_trip(value, other, f"{path}[{index}]")
    elif original != kept:
        yield f"{path}: {original!r} became {kept!r}"


def layout_problems(panels):
    problems, seen, owner = [], set(), {}
    for panel in panels:
        if panel.get("id") in seen:
            problems.append(f"panel id {panel.get('id')} is used twice")
        seen.add(panel.get("id"))
        grid = panel["gridPos"]
        if grid["x"] + grid["w"] > 24:
            problems.append(f"panel '{panel['title']}' runs past the 24 columns")
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        for other in sorted({owner[cell] for cell in cells if cell in owner}):
            problems.append(f"panels '{other}' and '{panel['title']}' overlap")
        owner.update(dict.fromkeys(cells, panel["title"]))
    return problems


def substitute(expression):
    for name, value in VARIABLES.items():
        expression = expression.replace(name, value)
    return expression


def selectors(node, grouping=frozenset()):
    """(metric, labels it is matched or grouped by) for every selector of a PromQL AST."""
    if isinstance(node, promql_parser.VectorSelector):
        labels = {matcher.name for matcher in node.matchers.matchers} - {"__name__"}
        yield node.name, labels | set(grouping)
    elif isinstance(node, promql_parser.MatrixSelector):
        yield from selectors(node.vector_selector, grouping)
    elif isinstance(node, promql_parser.AggregateExpr):
        labels = set(node.modifier.labels) if node.modifier is not None and str(node.modifier).startswith("by") else set()
        yield from selectors(node.expr, grouping | labels)
    elif isinstance(node, promql_parser.Call):
        for argument in node.args:
            yield from selectors(argument, grouping)
    elif isinstance(node, promql_parser.BinaryExpr):
        yield from selectors(node.lhs, grouping)
        yield from selectors(node.rhs, grouping)
    elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        yield from selectors(node.expr, grouping)


def scraped_labels(scrape):
    """metric name -> the labels its series carry in the scrape."""
    labels = {}
    for line in scrape.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if match:
            names = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', match.group(3) or ""))
            labels.setdefault(match.group(1), set()).update(names)
    return labels


def prometheus(url, expression):
    query = urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)


def main():
    dashboard_file, prometheus_url, scrape_file = sys.argv[1:4]
    original = json.load(open(dashboard_file))
    scrape = scraped_labels(open(scrape_file).read())
    problems = []

    register_default_plugins()
    kept = json.loads(json.dumps(Dashboard.from_json(original), cls=JSONEncoder))
    problems += [f"schema: {problem}" for problem in lost_in_round_trip(original, kept)]
    panels = original.get("panels", [])
    problems += [f"layout: {problem}" for problem in layout_problems(panels)]

    queries = []
    for panel in panels:
        for target in panel.get("targets", []):
            if "expr" not in target or "datasource" not in target:
                problems.append(f"panel '{panel['title']}' target {target.get('refId')}: no expr or datasource")
                continue
            queries.append((f"panel '{panel['title']}' {target['refId']}", target["expr"]))
    for variable in original.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable["query"]["query"])
            if not match:
                problems.append(f"variable {variable['name']}: not a label_values() query")
                continue
            queries.append((f"variable {variable['name']}", f"count by ({match.group(2)}) ({match.group(1)})"))

    metrics_used = set()
    for where, expression in queries:
        concrete = substitute(expression)
        answer = prometheus(prometheus_url, concrete)
        if answer.get("status") != "success":
            problems.append(f"{where}: Prometheus refuses it: {answer.get('error')}")
            continue
        for metric, labels in selectors(promql_parser.parse(concrete)):
            metrics_used.add(metric)
            if metric not in scrape:
                problems.append(f"{where}: {metric} is not in the scrape")
                continue
            for label in sorted(labels - scrape[metric] - {"le"} if metric.endswith("_bucket") else labels - scrape[metric]):
                if label in TARGET_LABELS:
                    series = prometheus(prometheus_url, f'count({metric}{{{label}!=""}})')
                    if series.get("data", {}).get("result"):
                        continue
                problems.append(f"{where}: {metric} has no label {label}")

    print(f"dashboard {original['title']!r}: {len(panels)} panels, {len(queries)} queries, checked against Grafana's schema "
          f"(grafana-foundation-sdk) and run on Prometheus at {prometheus_url}; {len(metrics_used)} metrics: "
          + ", ".join(sorted(metrics_used)))
    def family(name):
        return re.sub(r"_(bucket|sum|count)$", "", name)
    unused = sorted({family(name) for name in scrape if name.startswith("jobstatus_")} - {family(name) for name in metrics_used})
    if unused:
        print(f"  exported but not on the dashboard: {', '.join(unused)}")
    exit_if_any(problems)


if __name__ == "__main__":
    main()
