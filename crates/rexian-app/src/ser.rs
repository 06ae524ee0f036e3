//! How ids and times cross JSON: ids as decimal strings (a number is taken too), times as
//! RFC 3339 UTC to the second (api-v1).

use serde::Serializer;

use crate::clock::from_ms;

/// A stored time (ms) as RFC 3339 UTC.
pub fn rfc3339(v: i64) -> String {
    from_ms(v).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An id as a string.
pub fn id<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// An optional id as a string or null.
pub fn opt_id<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// A stored time as RFC 3339.
pub fn time<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*v))
}

/// An id that may arrive as a JSON string or number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "serde_json::Value")]
pub struct Id(pub i64);

impl TryFrom<serde_json::Value> for Id {
    type Error = String;
    fn try_from(v: serde_json::Value) -> Result<Self, String> {
        let n = match &v {
            serde_json::Value::String(s) => s.parse::<i64>().ok(),
            serde_json::Value::Number(n) => n.as_i64(),
            _ => None,
        };
        n.filter(|n| *n > 0)
            .map(Id)
            .ok_or_else(|| format!("expected an id, got {v}"))
    }
}

/// An optional stored time as RFC 3339 or null.
pub fn opt_time<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&rfc3339(*v)),
        None => s.serialize_none(),
    }
}

/// Parses a path or query id (`"12"`), naming the field when it is not one.
pub fn parse_id(field: &str, s: &str) -> crate::AppResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| crate::AppError::invalid(field, format!("{field} must be an id, got {s:?}")))
}

/// The JSON Schema of an id as the API writes it: a decimal string.
pub struct IdText;

impl schemars::JsonSchema for IdText {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IdText".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^[0-9]+$"})
    }
}

/// The JSON Schema of a time as the API writes it: RFC 3339.
pub struct Rfc3339;

impl schemars::JsonSchema for Rfc3339 {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rfc3339".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date-time"})
    }
}

/// An id of a request: a decimal string or a positive integer.
impl schemars::JsonSchema for Id {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Id".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["string", "integer"], "pattern": "^[0-9]+$", "minimum": 1})
    }
}
