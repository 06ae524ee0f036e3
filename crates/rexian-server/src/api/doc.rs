//! The OpenAPI 3.1 document of the API, generated from the types the handlers take and answer
//! (schemars, JSON Schema 2020-12: OpenAPI 3.1's dialect). [`operations`] lists every operation
//! once; the named types' schemas become `components.schemas`. Adding a route is one entry
//! there (and its rule in `access::RULES`); `contract::every_api_route_is_in_the_document`
//! fails while one is missing.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::access::{Access, RULES};

/// A schema of a type, from a generator (`subschema_for`: a `$ref` to a named type).
type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// What a call takes in its body.
enum Body {
    /// Nothing.
    None,
    /// JSON of a type. An absent body is read as `{}` (`extract::ApiJson`), so the document
    /// calls the body required when `{}` is refused: the type (or the entry) requires a field.
    Json(SchemaFn),
    /// Photos as `multipart/form-data`, field `photo`.
    Photos,
    /// An Excel workbook (`.xlsx`) as the body.
    Xlsx,
}

/// What a call answers on success.
enum Answer {
    /// JSON of a type.
    Json(SchemaFn),
    /// Nothing (`204`).
    Empty,
    /// Plain text (health checks).
    Text,
    /// JSON of a type, or the same table as CSV or Excel (`format=csv|xlsx`).
    Export(SchemaFn),
    /// A stored image.
    Image,
}

/// One operation of the document.
pub struct Op {
    method: &'static str,
    path: String,
    summary: String,
    tag: &'static str,
    query: Option<SchemaFn>,
    body: Body,
    status: u16,
    answer: Answer,
    errors: &'static [u16],
    requires: &'static [&'static str],
    path_enums: Vec<(&'static str, &'static [&'static str])>,
}

/// The error statuses of a read, unless an entry says otherwise.
const READ: &[u16] = &[400, 401, 403, 404];
/// The error statuses of a write, unless an entry says otherwise.
const WRITE: &[u16] = &[400, 401, 403, 404, 409, 413, 422];

/// An operation answering `200` with nothing in its body yet; the methods below complete it.
pub fn op(method: &'static str, path: &str, summary: &str, tag: &'static str) -> Op {
    Op {
        method,
        path: path.to_owned(),
        summary: summary.to_owned(),
        tag,
        query: None,
        body: Body::None,
        status: 200,
        answer: Answer::Empty,
        errors: if method == "GET" { READ } else { WRITE },
        requires: &[],
        path_enums: Vec::new(),
    }
}

impl Op {
    /// The query parameters: the properties of `T` (a struct the handler takes as `Query<T>`).
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(T::json_schema);
        self
    }
    /// A JSON body of type `T`.
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Body::Json(SchemaGenerator::subschema_for::<T>);
        self
    }
    /// The body's fields this operation requires beyond what its type does (one type serving
    /// several steps).
    pub fn requires(mut self, fields: &'static [&'static str]) -> Self {
        self.requires = fields;
        self
    }
    /// An `.xlsx` workbook as the body.
    pub fn xlsx(mut self) -> Self {
        self.body = Body::Xlsx;
        self
    }

    /// Photos as `multipart/form-data`.
    pub fn photos(mut self) -> Self {
        self.body = Body::Photos;
        self
    }
    /// Answers `200` with a `T`.
    pub fn ok<T: JsonSchema>(mut self) -> Self {
        self.answer = Answer::Json(SchemaGenerator::subschema_for::<T>);
        self
    }
    /// Answers `201` with a `T`.
    pub fn created<T: JsonSchema>(mut self) -> Self {
        self.status = 201;
        self.ok::<T>()
    }
    /// Answers `204`.
    pub fn no_content(mut self) -> Self {
        self.status = 204;
        self.answer = Answer::Empty;
        self
    }
    /// Answers plain text.
    pub fn text(mut self) -> Self {
        self.answer = Answer::Text;
        self
    }
    /// Answers a `T` as JSON, CSV or Excel.
    pub fn export<T: JsonSchema>(mut self) -> Self {
        self.answer = Answer::Export(SchemaGenerator::subschema_for::<T>);
        self
    }
    /// Answers an image.
    pub fn image(mut self) -> Self {
        self.answer = Answer::Image;
        self
    }
    /// The error statuses it answers, when not the usual ones of its method.
    pub fn errors(mut self, statuses: &'static [u16]) -> Self {
        self.errors = statuses;
        self
    }
    /// The values a path parameter takes.
    pub fn path_enum(mut self, name: &'static str, values: &'static [&'static str]) -> Self {
        self.path_enums.push((name, values));
        self
    }
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| build(&super::operations::operations()))
}

/// The document as served: compact JSON.
pub fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| serde_json::to_string(document()).unwrap_or_default())
}

/// The document as `rexian openapi` prints it: indented, with a final newline.
pub fn document_pretty() -> String {
    let mut s = serde_json::to_string_pretty(document()).unwrap_or_default();
    s.push('\n');
    s
}

/// A generator for one direction: requests are read (`Deserialize`), answers written
/// (`Serialize`); the two may differ (defaults, skipped fields).
fn generator(serialize: bool) -> SchemaGenerator {
    let mut s = SchemaSettings::draft2020_12();
    s.definitions_path = "/components/schemas".into();
    s.meta_schema = None;
    if serialize {
        s.for_serialize()
    } else {
        s.for_deserialize()
    }
    .into_generator()
}

/// Builds the document of `ops`.
fn build(ops: &[Op]) -> Value {
    let mut input = generator(false);
    let mut output = generator(true);
    let mut paths = Map::new();
    for op in ops {
        let v = operation(op, &mut input, &mut output);
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        item[op.method.to_lowercase()] = v;
    }
    let mut paths = Value::Object(paths);
    let schemas = merge(
        input.take_definitions(true),
        output.take_definitions(true),
        &mut paths,
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rexian API",
            "version": "1",
            "description": "Hotline and work orders for public utilities. Contract: shared/api-v1.md. Generated from the server's types (`rexian openapi`)."
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {
                "description": "Error envelope",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }},
            "schemas": schemas,
        },
        "paths": paths,
    })
}

/// The schemas of both directions in one map; a type whose answer schema differs from its
/// request schema keeps its name for the request and `<name>.out` for the answer (references
/// in `paths` follow).
fn merge(input: Map<String, Value>, output: Map<String, Value>, paths: &mut Value) -> Value {
    let mut all = input;
    let mut renamed = Map::new();
    for (name, schema) in &output {
        match all.get(name) {
            Some(same) if same == schema => {}
            Some(_) => {
                renamed.insert(name.clone(), Value::String(format!("{name}.out")));
            }
            None => {}
        }
    }
    for (name, mut schema) in output {
        rename_refs(&mut schema, &renamed);
        let key = match renamed.get(&name) {
            Some(Value::String(n)) => n.clone(),
            _ => name,
        };
        all.insert(key, schema);
    }
    all.insert("Error".into(), error_schema());
    for (method_path, op) in paths.as_object_mut().into_iter().flatten() {
        let _ = method_path;
        for (_, o) in op.as_object_mut().into_iter().flatten() {
            if let Some(r) = o.get_mut("responses") {
                rename_refs(r, &renamed);
            }
        }
    }
    Value::Object(all)
}

/// Points the `$ref`s of `v` at renamed answer schemas.
fn rename_refs(v: &mut Value, renamed: &Map<String, Value>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    if let Some(Value::String(n)) = renamed.get(name) {
                        *r = format!("#/components/schemas/{n}");
                    }
                }
            }
            m.values_mut().for_each(|x| rename_refs(x, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, renamed)),
        _ => {}
    }
}

/// The error envelope of every refusal (`error::AppError`).
fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]}
            },
            "required": ["code", "message"],
            "additionalProperties": false
        }},
        "required": ["error"],
        "additionalProperties": false
    })
}

/// One operation's object.
fn operation(op: &Op, input: &mut SchemaGenerator, output: &mut SchemaGenerator) -> Value {
    let mut v = json!({"summary": op.summary, "tags": [op.tag]});
    let mut params = path_params(op);
    if let Some(q) = op.query {
        params.extend(query_params(q(input)));
    }
    if crate::idempotency::applies_to(op.method, &op.path) {
        params.push(idempotency_key());
    }
    if !params.is_empty() {
        v["parameters"] = Value::Array(params);
    }
    if let Some(b) = request_body(op, input) {
        v["requestBody"] = b;
    }
    let mut responses = Map::new();
    responses.insert(op.status.to_string(), answer(op, output));
    for s in op.errors {
        responses.insert(
            s.to_string(),
            json!({"$ref": "#/components/responses/Error"}),
        );
    }
    v["responses"] = Value::Object(responses);
    if is_public(op.method, &op.path) {
        v["security"] = json!([]);
    }
    v
}

/// Whether the access table lets anyone call the route (no token).
fn is_public(method: &str, path: &str) -> bool {
    RULES
        .iter()
        .any(|(m, p, a)| *m == method && matches!(a, Access::Public) && same_route(p, path))
}

/// Whether route pattern `pattern` serves `path` (a `{..}` segment of the pattern takes any).
fn same_route(pattern: &str, path: &str) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || x.starts_with('{'))
}

/// The path's parameters: ids are digit strings, others strings (or one of their values).
fn path_params(op: &Op) -> Vec<Value> {
    let mut out = Vec::new();
    for seg in op.path.split('/') {
        let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        let schema = match op.path_enums.iter().find(|(n, _)| *n == name) {
            Some((_, values)) => json!({"type": "string", "enum": values}),
            None if name == "id" || name.ends_with("id") => {
                json!({"type": "string", "pattern": "^[0-9]+$"})
            }
            None => json!({"type": "string"}),
        };
        out.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
    }
    out
}

/// The query parameters of a query struct's schema: each property, a string as the query
/// carries it (never null: an absent parameter is the null).
fn query_params(s: Schema) -> Vec<Value> {
    let v = s.to_value();
    let required: BTreeSet<&str> = v["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = Vec::new();
    for (name, prop) in v["properties"].as_object().into_iter().flatten() {
        let mut schema = prop.clone();
        let description = schema.as_object_mut().and_then(|m| m.remove("description"));
        if let Some(Value::Array(types)) = schema.get("type") {
            let left: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            schema["type"] = match left.as_slice() {
                [one] => one.clone(),
                _ => Value::Array(left),
            };
        }
        if let Some(Value::Array(e)) = schema.get_mut("enum") {
            e.retain(|x| !x.is_null());
        }
        let mut p = json!({"name": name, "in": "query", "schema": schema});
        if required.contains(name.as_str()) {
            p["required"] = json!(true);
        }
        if let Some(d) = description {
            p["description"] = d;
        }
        out.push(p);
    }
    out
}

/// The `Idempotency-Key` header of the POSTs the idempotency layer serves.
fn idempotency_key() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]([ -~]*[!-~])?$"},
        "description": "Answers a retry with the first answer (status and body) without running it again; the key reused with another request is refused with 422 idempotency_key_reused. Kept per user; only successful answers are kept."
    })
}

/// The request body of an operation.
fn request_body(op: &Op, input: &mut SchemaGenerator) -> Option<Value> {
    match &op.body {
        Body::None => None,
        Body::Json(schema) => {
            let mut s = schema(input).to_value();
            let named = s["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .and_then(|n| input.definitions().get(n));
            let fields = named.unwrap_or(&s)["required"].as_array();
            let required = !op.requires.is_empty() || fields.is_some_and(|f| !f.is_empty());
            if !op.requires.is_empty() {
                s = json!({"allOf": [s], "required": op.requires});
            }
            Some(json!({"required": required, "content": {"application/json": {"schema": s}}}))
        }
        Body::Xlsx => Some(json!({"required": true, "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                {"schema": {"type": "string", "format": "binary"}}
        }})),
        Body::Photos => Some(
            json!({"required": true, "content": {"multipart/form-data": {"schema": {
                "type": "object",
                "properties": {"photo": {
                    "type": "array",
                    "items": {"type": "string", "format": "binary"},
                    "minItems": 1,
                    "maxItems": rexian_app::photos::MAX_PHOTOS
                }},
                "required": ["photo"]
            }}}}),
        ),
    }
}

/// The success answer of an operation.
fn answer(op: &Op, output: &mut SchemaGenerator) -> Value {
    match op.answer {
        Answer::Json(s) => {
            json!({"description": "OK", "content": {"application/json": {"schema": s(output)}}})
        }
        Answer::Empty => json!({"description": "Done"}),
        Answer::Text => {
            json!({"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}})
        }
        Answer::Export(s) => json!({
            "description": "OK: JSON, or the same table as a CSV or xlsx file (format=csv|xlsx)",
            "content": {
                "application/json": {"schema": s(output)},
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}
            }
        }),
        Answer::Image => {
            let image = json!({"schema": {"type": "string", "format": "binary"}});
            json!({"description": "The image", "content": {"image/jpeg": image, "image/png": image}})
        }
    }
}
