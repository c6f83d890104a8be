#!/usr/bin/env python3
"""Derive compact structural JSON Schemas from SailPoint's OpenAPI documents.

Usage: derive.py OPENAPI_DIR [OUT_DIR]

OPENAPI_DIR holds identitynow-v3.json, identitynow-v2025.json and identitynow-oauth.json (the
dereferenced documents published by sailpoint-oss/api-specs, MIT). OUT_DIR defaults to the
`identitynow/` folder beside this script.

Each output keeps only what a machine can check: types, properties, required fields, enums,
array bounds and nullability. Descriptions, examples and formats are dropped, `$ref`s are
inlined, and a reference back into a schema being expanded becomes `{}` (anything), which keeps
recursive types finite. Request bodies are written closed (`additionalProperties: false`) so a
misspelt optional field is caught; that is stricter than SailPoint, on purpose, and said here.
"""

import json
import pathlib
import sys

# name -> (document, JSON pointer to the schema, closed?)
TARGETS = {
    "AccessRequest": ("v3", "/components/schemas/AccessRequest", True),
    "AccessRequestResponse": ("v3", "/components/schemas/AccessRequestResponse", False),
    "RequestedItemStatus": ("v3", "/components/schemas/RequestedItemStatus", False),
    "CancelAccessRequest": ("v3", "/components/schemas/CancelAccessRequest", True),
    "PublicIdentity": ("v3", "/components/schemas/PublicIdentity", False),
    "IdentityDocument": ("v3", "/components/schemas/IdentityDocument", False),
    "Search": ("v3", "/components/schemas/Search", False),
    "Role": ("v3", "/components/schemas/Role", False),
    "AccessProfile": ("v3", "/components/schemas/AccessProfile", False),
    "Source": ("v3", "/components/schemas/Source", False),
    "RequestableObject": ("v3", "/components/schemas/RequestableObject", False),
    "ErrorResponseDto": ("v3", "/components/schemas/ErrorResponseDto", False),
    "Unauthorized": ("v3", "/components/responses/401/content/application~1json/schema", False),
    "TooManyRequests": (
        "v3", "/components/responses/429/content/application~1json/schema", False),
    "Entitlement": ("v2025", "/components/schemas/Entitlement", False),
    "OAuthToken": (
        "oauth",
        "/paths/~1oauth~1token/post/responses/200/content/application~1json/schema",
        False,
    ),
}

DOCUMENTS = {
    "v3": "identitynow-v3.json",
    "v2025": "identitynow-v2025.json",
    "oauth": "identitynow-oauth.json",
}

# Keywords copied as they are; everything else (description, example, format, ...) is dropped.
KEPT = ("enum", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum")


def resolve(document, pointer):
    node = document
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def compact(document, schema, expanding, closed):
    """Return the structural part of `schema`, with refs inlined."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in expanding:
            return {}
        return compact(document, resolve(document, ref[1:]), expanding | {ref}, closed)

    out = {}
    is_nullable = bool(schema.get("nullable"))
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            # SailPoint writes a nullable reference as `allOf: [{$ref}, {nullable: true}]`.
            members = [s for s in schema[key] if not only_nullable(s)]
            is_nullable = is_nullable or len(members) < len(schema[key])
            compacted = [compact(document, s, expanding, closed) for s in members]
            if key == "allOf" and len(compacted) == 1:
                out.update(compacted[0])
            else:
                out[key] = compacted
    if "type" in schema:
        out["type"] = schema["type"]
    for key in KEPT:
        if key in schema:
            out[key] = schema[key]
    if "properties" in schema:
        out["properties"] = {
            name: compact(document, sub, expanding, closed)
            for name, sub in schema["properties"].items()
        }
        if closed and "additionalProperties" not in schema:
            out["additionalProperties"] = False
    if "required" in schema:
        out["required"] = schema["required"]
    if "items" in schema:
        out["items"] = compact(document, schema["items"], expanding, closed)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = compact(document, extra, expanding, closed)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra

    if is_nullable:
        out = nullable(out)
    return out


def only_nullable(schema):
    """True for a schema that says nothing but `nullable: true` (and prose)."""
    return isinstance(schema, dict) and schema.get("nullable") and not (
        set(schema) - {"nullable", "description", "example", "title"})


def nullable(out):
    """OpenAPI 3.0 `nullable: true` as JSON Schema: null is one more allowed value."""
    if "type" in out:
        kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = kinds if "null" in kinds else kinds + ["null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
        return out
    if out.get("anyOf") and {"type": "null"} in out["anyOf"]:
        return out
    return {"anyOf": [out, {"type": "null"}]}


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 64
    source = pathlib.Path(argv[1])
    target = pathlib.Path(argv[2]) if len(argv) == 3 else pathlib.Path(__file__).parent / "identitynow"
    target.mkdir(parents=True, exist_ok=True)
    documents = {k: json.loads((source / f).read_text()) for k, f in DOCUMENTS.items()}

    for name, (doc, pointer, closed) in TARGETS.items():
        schema = compact(documents[doc], resolve(documents[doc], pointer), frozenset(), closed)
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": name, **schema}
        text = json.dumps(schema, separators=(",", ":"), sort_keys=True)
        (target / f"{name}.json").write_text(text + "\n")
        print(f"{name}.json {len(text)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
