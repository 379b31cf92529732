#!/usr/bin/env python3
"""Structural check of the edge's asset files, before any build: openapi.json is OpenAPI 3.0 as far as the docs page and
DocsTests rely on it, and the console page loads only files that exist next to it.

The JavaScript itself goes through `node --check` (the Makefile's check-assets target); the routes the document lists are
compared with the running edge and the services by DocsTests.
"""
import json
import re
import sys
from pathlib import Path

METHODS = ["get", "put", "post", "delete", "patch", "head", "options"]
problems = []


def check_openapi(path):
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        problems.append(f"{path}: not JSON: {error}")
        return
    if not str(doc.get("openapi", "")).startswith("3.0."):
        problems.append(f"{path}: openapi must be 3.0.x")
    info = doc.get("info") or {}
    if not info.get("title") or not info.get("version"):
        problems.append(f"{path}: info needs title and version")
    tags = {tag.get("name") for tag in doc.get("tags") or []}
    schemas = (doc.get("components") or {}).get("schemas") or {}
    ids = set()
    for route, item in (doc.get("paths") or {}).items():
        if not route.startswith("/"):
            problems.append(f"{route}: a path starts with /")
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            name = f"{method.upper()} {route}"
            if not operation.get("summary"):
                problems.append(f"{name}: no summary")
            op_id = operation.get("operationId")
            if not op_id or op_id in ids:
                problems.append(f"{name}: operationId {op_id!r} missing or repeated")
            ids.add(op_id)
            for tag in operation.get("tags") or []:
                if tag not in tags:
                    problems.append(f"{name}: tag {tag} is not declared")
            responses = operation.get("responses") or {}
            if not responses:
                problems.append(f"{name}: no responses")
            for status, response in responses.items():
                if not status.isdigit() or not (response or {}).get("description"):
                    problems.append(f"{name}: response {status} needs a numeric status and a description")
            templated = set(re.findall(r"\{([^}]+)\}", route))
            declared = {p.get("name") for p in operation.get("parameters") or [] if p.get("in") == "path"}
            if templated != declared:
                problems.append(f"{name}: path parameters {sorted(declared)} do not match the template {sorted(templated)}")
    for reference in re.findall(r'"#/components/schemas/([A-Za-z0-9_]+)"', path.read_text(encoding="utf-8")):
        if reference not in schemas:
            problems.append(f"{path}: schema {reference} is referenced but not defined")
    for frame in (doc.get("x-websocket") or {}).get("frames") or []:
        example = frame.get("example")
        if example is None:
            continue
        try:
            if not isinstance(json.loads(example).get("type"), str):
                raise ValueError("no type")
        except (ValueError, AttributeError) as error:
            problems.append(f"x-websocket example {example!r}: {error}")


def check_page(path, served):
    text = path.read_text(encoding="utf-8")
    for reference in re.findall(r'(?:src|href)\s*=\s*"([^"]+)"', text):
        if reference.startswith("/assets/") and reference[len("/assets/"):] not in served:
            problems.append(f"{path}: loads {reference}, which is not in {path.parent}")
        if re.match(r"(https?:)?//", reference):
            problems.append(f"{path}: loads {reference} from another host")


root = Path(sys.argv[1] if len(sys.argv) > 1 else "Services/ws-edge")
console = root / "Console" / "Assets"
check_openapi(root / "Docs" / "Assets" / "openapi.json")
check_page(console / "console.html", {p.name for p in console.iterdir()})
check_page(root / "Docs" / "Assets" / "docs.html", set())
if problems:
    print("asset check:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("asset check: ok")
