"""Validates real answers of playrouter against docs/openapi.json (Python standard library).

harness.Server.request() calls check() on every answer, so every end-to-end test also
checks the document: the operation exists, the status is one it documents, and a JSON
body matches the schema of that status. A mismatch raises OpenAPIMismatch naming the
request, the status and the first difference.

The validator covers the JSON Schema keywords the document uses: type (also lists, for
nullable), properties, additionalProperties (a schema for the members that properties
does not name: a map keyed by id), required, items, enum, oneOf, minimum, maximum, $ref;
without additionalProperties unknown members are allowed (the contract may be extended,
never renamed).
"""
import json
import os
import re

SOURCE_DIR = os.environ.get("PLAYROUTER_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
METHODS = ("get", "put", "post", "delete", "patch")


class OpenAPIMismatch(AssertionError):
    pass


_doc = None
_templates = None


def document():
    global _doc, _templates
    if _doc is None:
        with open(os.path.join(SOURCE_DIR, "docs", "openapi.json")) as f:
            _doc = json.load(f)
        _templates = []
        for path in _doc["paths"]:
            rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"
            _templates.append((re.compile(rx), path))
    return _doc


def resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        node = document()
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        schema = node
    return schema


TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(value, schema, where="body"):
    """The first difference between value and schema, as a string, or None."""
    schema = resolve(schema)
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if errors(value, s, where) is None]
        if len(matching) != 1:
            return "%s: matches %d of the oneOf alternatives (one expected): %s" % (
                where, len(matching), json.dumps(value)[:200])
        return None
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(TYPES[x](value) for x in types):
            return "%s: %s is not of type %s" % (where, json.dumps(value)[:120], t)
    if "enum" in schema and value not in schema["enum"]:
        return "%s: %r is not one of %s" % (where, value, schema["enum"])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return "%s: %s < minimum %s" % (where, value, schema["minimum"])
        if "maximum" in schema and value > schema["maximum"]:
            return "%s: %s > maximum %s" % (where, value, schema["maximum"])
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                return "%s: member %r is missing" % (where, name)
        props = schema.get("properties", {})
        for name, sub in props.items():
            if name in value:
                e = errors(value[name], sub, "%s.%s" % (where, name))
                if e:
                    return e
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in value:
                if name not in props:
                    e = errors(value[name], extra, "%s[%s]" % (where, json.dumps(name)))
                    if e:
                        return e
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            e = errors(item, schema["items"], "%s[%d]" % (where, i))
            if e:
                return e
    return None


def operation(method, path):
    """(template, operation object or None); template None when no path matches."""
    doc = document()
    for rx, template in _templates:
        if rx.match(path):
            return template, doc["paths"][template].get(method.lower())
    return None, None


def check(method, path, status, headers, body):
    """Raises OpenAPIMismatch when the answer is not what the document says."""
    if method.upper() in ("OPTIONS", "HEAD"):
        return  # CORS preflight and HEAD are the HTTP layer's, not operations
    path = path.split("?", 1)[0]
    template, op = operation(method, path)
    what = "%s %s -> %s" % (method, path, status)
    if op is None:
        # an unknown route (404) or a known path with the wrong method (405): the error shape
        # 404 (no route), 405 (wrong method), and what the HTTP core answers before any
        # route (413 body too large, 400 malformed request, 414 URI too long, 503 shutting down)
        if ((template is None and status == 404) or (template is not None and status == 405)
                or status in (400, 413, 414, 503)):
            schema = document()["components"]["schemas"]["Error"]
        elif template is None and not path.startswith("/api/"):
            return  # outside the API (the web app's pages and assets)
        else:
            raise OpenAPIMismatch("%s: no such operation in docs/openapi.json" % what)
    else:
        resp = op["responses"].get(str(status)) or op["responses"].get("default")
        if resp is None:
            raise OpenAPIMismatch("%s: status %s is not documented for %s %s (documented: %s)" % (
                what, status, method.upper(), template, ", ".join(sorted(op["responses"]))))
        resp = resolve(resp)
        content = resp.get("content")
        if not content:
            return
        ctype, media = next(iter(content.items()))
        got = (headers.get("content-type") or "").split(";")[0].strip()
        if got != ctype.split(";")[0].strip():
            raise OpenAPIMismatch("%s: Content-Type %r, documented %r" % (what, got, ctype))
        schema = media.get("schema")
        if schema is None or not ctype.startswith("application/json"):
            return
    if not isinstance(body, (dict, list)):
        raise OpenAPIMismatch("%s: a JSON body was expected, got %r" % (what, body if body is None else str(body)[:200]))
    e = errors(body, schema)
    if e:
        raise OpenAPIMismatch("%s: %s" % (what, e))
