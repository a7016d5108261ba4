# Writes docs/openapi.json (python3 tools/openapi.py > docs/openapi.json).
# The JSON is what the server serves and what tests/unit/test_openapi.c
# checks against the route table; edit this and regenerate.
import json
P = "#/components/schemas/"
def ref(n): return {"$ref": P + n}
problem = {"description": "problem+json (RFC 9457)", "content": {"application/problem+json": {"schema": ref("Problem")}}}
def ok(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r
def body(schema, ctype="application/json", required=True):
    return {"required": required, "content": {ctype: {"schema": schema}}}
def obj(props, required=()):
    o = {"type": "object", "additionalProperties": False, "properties": props}
    if required: o["required"] = list(required)
    return o
S = {"type": "string"}; I = {"type": "integer", "format": "int64"}; B = {"type": "boolean"}
def q(name, desc, schema=S, required=False):
    return {"name": name, "in": "query", "required": required, "description": desc, "schema": schema}
def p(name, desc, schema=I):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": schema}
ID = p("id", "case (or person, token, archive) id")
SHA = p("sha", "SHA-256 of the document or attachment, 64 lower-case hex", {"type": "string", "pattern": "^[0-9a-f]{64}$"})
std = {"400": problem, "401": problem, "403": problem, "404": problem, "409": problem, "413": problem, "415": problem, "422": problem, "429": problem, "503": problem}
def op(summary, tag, responses, params=(), rb=None, security=True, desc=None, idem=False):
    o = {"summary": summary, "tags": [tag], "responses": dict(responses)}
    for k, v in std.items():
        o["responses"].setdefault(k, v)
    ps = list(params)
    if idem:
        ps.append({"name": "Idempotency-Key", "in": "header", "required": False, "description": "retries with the same key get the first answer; the change is applied once", "schema": {"type": "string", "maxLength": 128}})
    if ps: o["parameters"] = ps
    if rb: o["requestBody"] = rb
    if not security: o["security"] = []
    if desc: o["description"] = desc
    return o
paths = {}
def add(path, method, o): paths.setdefault(path, {})[method] = o

add("/healthz", "get", op("The process is alive (never touches the database)", "health", {"200": ok("alive", obj({"status": S}))}, security=False))
add("/readyz", "get", op("The database answers and its schema is this server's", "health", {"200": ok("ready", obj({"status": S, "schema": I}))}, security=False))
add("/metrics", "get", op("Prometheus metrics (text format 0.0.4) for an administrator's bearer token: requests by route and status class, request durations, cases by workflow and state, pending and overdue deadlines, the sealing queue, archives", "health", {"200": ok("metrics", S, "text/plain")}))
add("/api/openapi.json", "get", op("This document", "health", {"200": ok("OpenAPI 3.0", {"type": "object"})}, security=False))
add("/api/session", "post", op("Log in: a session cookie (HttpOnly, SameSite=Strict) and the CSRF token", "session",
    {"201": ok("logged in", obj({"person_id": I, "csrf_token": S, "idle_timeout": I, "expires_in": I}))},
    rb=body(obj({"login": S, "password": S}, ["login", "password"])), security=False,
    desc="A wrong login or password, a disabled account and an unknown login all answer the same 401 invalid-credentials. Failures are counted per login name and per address; over the limit the answer is 429 login-throttled with Retry-After, even for the right password."))
add("/api/session", "delete", op("Log out (revokes the session)", "session", {"204": ok("logged out")}))
add("/api/me", "get", op("Who am I: person, names, role grants, CSRF token", "session", {"200": ok("the caller", ref("Me"))}))
add("/api/units", "get", op("The organisations' unit trees", "accounts", {"200": ok("units", obj({"units": {"type": "array", "items": ref("Unit")}}))}))
add("/api/admin/units", "post", op("Create a unit under one the administrator covers (same organisation; units never move)", "accounts", {"201": ok("created", obj({"id": I, "parent_id": I, "code": S, "kind": S}))},
    rb=body(obj({"parent_id": I, "code": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,39}$"}, "kind": {"type": "string", "enum": ["faculty", "registrar", "legal", "rectorate", "commission", "department"]}, "name_kk": S, "name_ru": S, "name_en": S}, ["parent_id", "code", "kind", "name_kk", "name_ru", "name_en"])),
    desc="403 out-of-scope when the parent is outside the administrator's grants; 422 unknown-unit; 409 unit-code-taken; audited in the accounts stream.", idem=True))
add("/api/tokens", "get", op("The caller's bearer tokens (never the secrets)", "accounts", {"200": ok("tokens", {"type": "object"})}))
add("/api/tokens", "post", op("Create a bearer token for integrations; the secret (qjt_...) is shown once", "accounts", {"201": ok("created", obj({"id": I, "name": S, "token": S}))}, rb=body(obj({"name": S, "expires_in_days": I}, ["name"]))))
add("/api/tokens/{id}", "delete", op("Revoke one of the caller's tokens", "accounts", {"204": ok("revoked")}, params=[ID]))
add("/api/admin/people", "get", op("People in the administrator's scope", "accounts", {"200": ok("people", {"type": "object"})}, params=[q("q", "substring of login, IIN or names"), q("limit", "1..500", I), q("offset", "0..", I)]))
add("/api/admin/people", "post", op("Create a person (IIN validated: birth date, century digit, check digit)", "accounts", {"201": ok("created", obj({"id": I, "login": S}))},
    rb=body(obj({"iin": {"type": "string", "pattern": "^[0-9]{12}$"}, "login": S, "name_kk": S, "name_ru": S, "name_en": S, "email": S, "password": S, "home_unit_id": I, "org_bin": S}, ["iin", "login", "name_kk", "name_ru", "name_en", "home_unit_id"])), idem=True))
add("/api/admin/people/{id}", "get", op("A person and their grants", "accounts", {"200": ok("person", {"type": "object"})}, params=[ID]))
add("/api/admin/people/{id}", "patch", op("Change email, names, password or disabled (disabling or a new password logs the person out everywhere)", "accounts", {"200": ok("person", {"type": "object"})}, params=[ID],
    rb=body(obj({"email": S, "name_kk": S, "name_ru": S, "name_en": S, "disabled": B, "password": S}))))
add("/api/admin/people/{id}/roles", "post", op("Grant a role at a unit (covers its subtree); never to oneself", "accounts", {"201": ok("granted", obj({"grant_id": I, "role": S, "unit_id": I}))}, params=[ID], rb=body(obj({"role": S, "unit_id": I}, ["role", "unit_id"])), idem=True))
add("/api/admin/people/{id}/roles/{grant_id}", "delete", op("Revoke a grant", "accounts", {"204": ok("revoked")}, params=[ID, p("grant_id", "the grant")]))
add("/api/workflows", "get", op("The workflow definitions loaded (id, version, title, opening form)", "cases", {"200": ok("definitions", {"type": "object"})}))
add("/api/forms/{name}", "get", op("A form's fields, types, codes and labels in the Accept-Language (kk, ru, en)", "cases", {"200": ok("description", {"type": "object"})}, params=[p("name", "form id, e.g. academic-leave-application", S)]))
add("/api/cases", "post", op("Open a case with its first document (JSON in the form's shape, or XML)", "cases", {"201": ok("the case", ref("Case"))},
    rb=body(obj({"workflow": S, "unit_id": I, "applicant_id": I, "document": {"type": "object"}, "document_xml": S}, ["workflow"])), idem=True,
    desc="The document is converted to one canonical XML (Exclusive C14N), validated against its schema and the form's rules (422 schema-violation / form-rule naming the field), and stored under its SHA-256. Attachments it names must have been uploaded by the caller (POST /api/attachments)."))
add("/api/cases", "get", op("The caller's own cases (as applicant), newest first", "cases", {"200": ok("cases", {"type": "object"})}, params=[q("limit", "1..500", I), q("before", "case id cursor", I)]))
add("/api/cases/{id}", "get", op("A case: state, documents, signatures, deadlines with citations, participants, orders, and the actions the caller may take now", "cases", {"200": ok("the case (ETag: its version)", ref("Case"))}, params=[ID]))
add("/api/cases/{id}/signing", "post", op("Phase one of two-phase signing: the exact bytes to sign for an event", "signatures",
    {"201": ok("what to sign", obj({"prepare_id": S, "to_sign": {"type": "string", "format": "byte"}, "hash": S, "signature_method": S, "document_sha256": S, "document_uri": S, "case_version": I, "commitment": S, "expires_at": S}))}, params=[ID],
    rb=body(obj({"event": S, "certificate": {"type": "string", "description": "PEM or base64 DER"}, "document": {"type": "object"}, "document_xml": S, "data": {"type": "object", "description": "the inputs the transition declares"}}, ["event", "certificate"])),
    desc="The server checks the transition (state, actor, guards) and the certificate (chain, CRL, key usage, bound to the caller's IIN) before anything is signed. to_sign is the Exclusive-C14N SignedInfo of a XAdES B-B detached signature; the client signs it with RSASSA-PKCS1-v1_5/SHA-256 or ECDSA/SHA-256 (r||s or DER)."))
add("/api/cases/{id}/transitions", "post", op("Fire an event (phase two of signing when it needs a signature), atomically with its signature and audit event", "cases",
    {"200": ok("the outcome (ETag: the new version)", obj({"case_id": I, "event": S, "state_before": S, "state": S, "version": I, "step": S, "opened_case": I}))}, params=[ID, {"name": "If-Match", "in": "header", "required": False, "schema": S, "description": "the case version seen, e.g. \"3\" (or 'version' in the body)"}],
    rb=body(obj({"event": S, "version": I, "reason": S, "document": {"type": "object"}, "document_xml": S, "option": S, "data": {"type": "object"}, "prepare_id": S, "signature_value": {"type": "string", "format": "byte"}, "signature_xml": {"type": "string", "format": "byte"}, "signed_document": {"type": "string", "format": "byte"}}, ["event"])), idem=True,
    desc="409 stale-version when the case moved on, 428 without a version, 403 wrong-actor / segregation-of-duties, 422 guard-failed naming the rule and its citation, 422 sig-* naming the failed signature check; nothing is stored on any refusal."))
add("/api/cases/{id}/participants", "post", op("Assign a person to a case in a capacity (commission member, examiner...)", "cases", {"200": ok("the case", ref("Case"))}, params=[ID], rb=body(obj({"person_id": I, "capacity": S}, ["person_id", "capacity"]))))
add("/api/cases/{id}/documents/{sha}", "get", op("A document of the case: the exact stored bytes", "cases", {"200": ok("XML", S, "application/xml")}, params=[ID, SHA]))
add("/api/cases/{id}/attachments/{sha}", "get", op("An attachment of the case", "cases", {"200": ok("the file", {"type": "string", "format": "binary"}, "application/pdf")}, params=[ID, SHA]))
add("/api/cases/{id}/audit", "get", op("The case's audit events in order", "audit", {"200": ok("events", {"type": "object"})}, params=[ID, q("after", "seq cursor", I), q("limit", "1..1000", I)]))
add("/api/attachments", "post", op("Upload evidence (PDF, JPEG, PNG by magic bytes; size limit); stored under SHA-256 and fsynced before 201", "cases",
    {"201": ok("stored", obj({"sha256": S, "media_type": S, "size": I, "name": S}))}, params=[q("name", "file name", S, True)], rb=body({"type": "string", "format": "binary"}, "application/octet-stream")))
add("/api/inbox", "get", op("Cases waiting for the caller (by role and scope, or in person), ordered by deadline", "cases",
    {"200": ok("a page", obj({"items": {"type": "array", "items": {"type": "object"}}, "next_cursor": {"type": "string", "nullable": True}}))}, params=[q("limit", "1..200", I), q("cursor", "next_cursor of the previous page")]))
add("/api/orders", "post", op("Draft an order (бұйрық) listing cases that wait for one", "cases", {"201": ok("the order case", ref("Case"))},
    rb=body(obj({"series": S, "case_ids": {"type": "array", "items": I}, "language": S, "title": {"type": "object"}, "preamble": {"type": "object"}, "signatory": {"type": "object"}, "place": S, "corrects": {"type": "object"}}, ["series", "case_ids", "language", "title", "preamble", "signatory"])), idem=True))
add("/api/calendar", "get", op("Exceptions to the Monday-Friday rule between two dates", "calendar", {"200": ok("calendar", {"type": "object"})}, params=[q("from", "YYYY-MM-DD", S, True), q("to", "YYYY-MM-DD", S, True)]))
add("/api/calendar/days/{date}", "put", op("Set an exception (admin), with its legal source", "calendar", {"200": ok("set", {"type": "object"})}, params=[p("date", "YYYY-MM-DD", S)],
    rb=body(obj({"working": B, "kind": {"type": "string", "enum": ["holiday", "holiday-carryover", "transfer-day-off", "transfer-working-day"]}, "name_kk": S, "name_ru": S, "name_en": S, "source": S}, ["working", "kind", "name_kk", "name_ru", "name_en", "source"]))))
add("/api/calendar/days/{date}", "delete", op("Remove an exception (admin)", "calendar", {"204": ok("removed")}, params=[p("date", "YYYY-MM-DD", S)]))
add("/api/calendar/periods", "get", op("The academic calendar: periods (summer vacation, academic periods, sessions) that guards read with qj:in-period", "calendar", {"200": ok("periods", {"type": "object"})}, params=[q("academic_year", "e.g. 2025-2026")]))
add("/api/calendar/periods", "post", op("Add a period (admin), for every organisation or a unit in the administrator's scope, with its source", "calendar", {"201": ok("added", obj({"id": I, "kind": S, "academic_year": S, "starts_on": S, "ends_on": S}))},
    rb=body(obj({"kind": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,47}$"}, "academic_year": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"}, "starts_on": S, "ends_on": S, "unit_id": I, "title_kk": S, "title_ru": S, "title_en": S, "source": S}, ["kind", "academic_year", "starts_on", "ends_on", "title_kk", "title_ru", "title_en", "source"])),
    desc="422 period-dates when the period ends before it starts or lies outside its academic year; 409 period-overlap when a period of the same kind and unit covers some of the days; audited in the calendar stream.", idem=True))
add("/api/calendar/periods/{id}", "delete", op("Remove a period (admin)", "calendar", {"204": ok("removed")}, params=[p("id", "the period")]))
add("/api/audit/verify", "get", op("Recompute a hash chain (auditor, admin)", "audit", {"200": ok("verdict", obj({"valid": B, "events": I, "first_broken": {"type": "object", "nullable": True}}))}, params=[q("stream", "accounts, calendar, system, case:<id>"), q("case", "case id", I)]))
add("/api/archive", "get", op("Search sealed case archives (auditor)", "archive", {"200": ok("archives", {"type": "object"})},
    params=[q("iin", "learner IIN"), q("name", "learner name"), q("workflow", "case type"), q("from", "sealed from YYYY-MM-DD"), q("to", "sealed to YYYY-MM-DD"), q("order", "order registration number"), q("limit", "page size", I), q("after", "cursor", I)]))
add("/api/archive/verify", "post", op("Verify an uploaded package with the offline verifier's checks", "archive", {"200": ok("report", {"type": "object"})}, rb=body({"type": "string", "format": "binary"}, "application/zip")))
add("/api/archive/{id}", "get", op("An archived case's package record, retention and holds", "archive", {"200": ok("record", {"type": "object"})}, params=[ID]))
add("/api/archive/{id}/package", "get", op("Download the sealed ASiC-E package", "archive", {"200": ok("package", {"type": "string", "format": "binary"}, "application/vnd.etsi.asic-e+zip")}, params=[ID]))
add("/api/archive/{id}/verify", "get", op("Verify the stored package", "archive", {"200": ok("report", {"type": "object"})}, params=[ID]))
add("/api/archive/{id}/holds", "post", op("Put the package on legal hold, with a reason", "archive", {"201": ok("hold", {"type": "object"})}, params=[ID], rb=body(obj({"reason": S}, ["reason"])), idem=True))
add("/api/archive/{id}/holds/{hold_id}/lift", "post", op("Lift a legal hold, with a reason", "archive", {"200": ok("lifted", {"type": "object"})}, params=[ID, p("hold_id", "the hold")], rb=body(obj({"reason": S}, ["reason"]))))
add("/api/archive/{id}/disposition/signing", "post", op("Phase one of signing a disposition act", "archive", {"201": ok("what to sign", {"type": "object"})}, params=[ID], rb=body({"type": "object"})))
add("/api/archive/{id}/disposition", "post", op("Dispose of a package past retention and not on hold, by a signed act", "archive", {"200": ok("disposed", {"type": "object"})}, params=[ID], rb=body({"type": "object"})))
add("/api/test/clock", "put", op("Move the injected clock (only when the server runs with QUJAT_TEST_CLOCK=1)", "health", {"200": ok("offset", obj({"offset_seconds": I}))}, rb=body(obj({"offset_seconds": I}, ["offset_seconds"])), security=False))

doc = {
  "openapi": "3.0.3",
  "info": {"title": "Qujat", "version": "1",
    "description": "Document workflows for Kazakh medical universities: applications (өтініш), approvals with XAdES signatures, orders (бұйрық), sealed archives. Every error is application/problem+json (RFC 9457) with type urn:qujat:problem:<slug>, status, a detail naming the field or check, and the request id; titles follow Accept-Language (kk, ru, en). State-changing requests authenticated by the session cookie need the session's X-CSRF-Token header."},
  "servers": [{"url": "/"}],
  "tags": [{"name": n} for n in ["health", "session", "accounts", "cases", "signatures", "calendar", "audit", "archive"]],
  "paths": paths,
  "security": [{"session": []}, {"bearer": []}],
  "components": {
    "securitySchemes": {
      "session": {"type": "apiKey", "in": "cookie", "name": "qj_session"},
      "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "qjt_<43 base64url>"}},
    "schemas": {
      "Problem": {"type": "object", "properties": {"type": {"type": "string", "example": "urn:qujat:problem:guard-failed"}, "title": S, "status": I, "detail": S, "instance": S, "field": S, "request_id": S}, "required": ["type", "title", "status", "detail"]},
      "Me": {"type": "object", "properties": {"id": I, "login": S, "iin": S, "name": {"type": "object"}, "roles": {"type": "array", "items": {"type": "object"}}, "csrf_token": S}},
      "Unit": {"type": "object", "properties": {"id": I, "org_id": I, "parent_id": {"type": "integer", "nullable": True}, "code": S, "kind": S, "name": {"type": "object"}}},
      "Case": {"type": "object", "properties": {"id": I, "workflow": S, "workflow_version": I, "state": S, "terminal": B, "version": I, "documents": {"type": "array", "items": {"type": "object"}}, "signatures": {"type": "array", "items": {"type": "object"}}, "deadlines": {"type": "array", "items": {"type": "object"}}, "participants": {"type": "array", "items": {"type": "object"}}, "links": {"type": "object"}, "actions": {"type": "array", "items": {"type": "object"}}}}
    }
  }
}
print(json.dumps(doc, ensure_ascii=False, indent=1))
