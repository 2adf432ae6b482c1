//! Lenient request parsing: the SDKs send many POST/PUT calls with an empty body and no
//! Content-Type, so bodies are read as bytes (empty = `{}`), never with `web::Json`. A body
//! that is there must be a JSON object, as the OpenAPI document says (`null` is refused too).

use crate::backend_api::BackendError;
use actix_web::HttpRequest;
use actix_web::web::Bytes;
use serde::de::DeserializeOwned;

pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, BackendError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BackendError::field("body", "the body is not UTF-8"))?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| BackendError::field("body", format!("invalid JSON body: {e}")))?;
    if !value.is_object() {
        return Err(BackendError::field("body", "the body must be a JSON object"));
    }
    if let Some(field) = nul_field(&value, declared_fields::<T>()) {
        return Err(BackendError::field(field, "must not contain a NUL character (\\u0000)"));
    }
    serde_json::from_value(value).map_err(|e| BackendError::field("body", format!("invalid JSON body: {e}")))
}

/// The first field `T` reads whose text (or list of texts) holds a NUL: PostgreSQL cannot
/// store one and no field has a use for it. Objects (metadata, properties) are stored as JSON
/// text, where a NUL is escaped, and properties `T` does not read are ignored; neither is checked.
fn nul_field<'a>(value: &'a serde_json::Value, fields: &[&str]) -> Option<&'a str> {
    use serde_json::Value;
    let has_nul = |v: &Value| match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(|i| i.as_str().is_some_and(|s| s.contains('\0'))),
        _ => false,
    };
    value.as_object()?.iter().find(|(k, v)| fields.contains(&k.as_str()) && has_nul(v)).map(|(k, _)| k.as_str())
}

/// The field names a `#[derive(Deserialize)]` struct declares: serde hands them to
/// `deserialize_struct`, which this probe records before giving up.
fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor, value::Error};
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], _: V) -> Result<V::Value, Error> {
            *self.0 = fields;
            Err(Error::custom("probed"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, BackendError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|e| BackendError::field("query", format!("invalid query: {e}")))
}

#[derive(serde::Deserialize)]
pub struct IncludeOrgs {
    pub include_orgs: Option<bool>,
}

pub fn include_orgs(req: &HttpRequest) -> Result<bool, BackendError> {
    Ok(query::<IncludeOrgs>(req)?.include_orgs.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Req {
        name: Option<String>,
        ids: Option<Vec<String>>,
        metadata: Option<serde_json::Value>,
    }

    fn parse(json: &str) -> Result<Req, String> {
        body::<Req>(&Bytes::from(json.to_string())).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn a_nul_in_a_field_the_server_reads_is_refused_by_name() {
        assert_eq!(declared_fields::<Req>(), &["name", "ids", "metadata"]);
        let err = parse(r#"{"name": "a\u0000b"}"#).expect_err("nul in a field");
        assert!(err.contains("name") && err.contains("NUL"), "{err}");
        assert!(parse(r#"{"ids": ["ok", "\u0000"]}"#).expect_err("nul in a list").contains("ids"));
        // Ignored properties and JSON objects (stored as escaped JSON text) do not matter.
        assert!(parse(r#"{"other": "\u0000", "metadata": {"k": "\u0000"}, "name": "fine"}"#).is_ok());
    }

    #[test]
    fn a_body_must_be_an_object_but_may_be_empty() {
        assert!(parse("").is_ok());
        assert!(parse("  ").is_ok());
        for bad in ["null", "[]", "\"x\"", "5"] {
            assert!(parse(bad).expect_err(bad).contains("JSON object"), "{bad}");
        }
    }
}
