//! Small shared pieces of the wire format: paging, whole numbers.

use super::BackendError;
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::{Value, json};

/// `page_size` / `page_number` as the SDKs send them (zero-based pages).
#[derive(Clone, Copy, Debug, Deserialize, Default)]
pub struct PageQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
}

pub const MAX_PAGE_SIZE: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub size: i64,
    pub number: i64,
}

impl PageQuery {
    pub fn page(self) -> Result<Page, BackendError> {
        let size = self.page_size.unwrap_or(10);
        let number = self.page_number.unwrap_or(0);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(BackendError::field("page_size", format!("must be between 1 and {MAX_PAGE_SIZE}")));
        }
        if number < 0 {
            return Err(BackendError::field("page_number", "must not be negative"));
        }
        Ok(Page { size, number })
    }
}

impl Page {
    pub fn offset(self) -> i64 {
        self.size.saturating_mul(self.number)
    }

    /// The paging wrapper (§4.6) around `items` under `key`, with its total under `total_key`.
    pub fn wrap(self, key: &str, total_key: &str, items: Vec<Value>, total: i64) -> Value {
        let mut v = json!({
            "current_page": self.number,
            "page_size": self.size,
            "has_more_results": self.offset() + (items.len() as i64) < total,
        });
        v[key] = Value::Array(items);
        v[total_key] = json!(total);
        v
    }
}

/// A JSON object stored as TEXT, or `{}` if the text is not one.
pub fn object(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({}),
    }
}

/// The largest whole number a JSON body may carry (2^53 − 1): beyond it IEEE 754 doubles, which
/// most JSON parsers use, lose precision (I-JSON, RFC 7493 §2.2).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// `#[serde(default, deserialize_with = "whole")]` for an optional integer field of a JSON
/// body. JSON has one number type and JSON Schema counts `5.0` as an integer, so `5` and `5.0`
/// are both 5; a fraction, or a value beyond ±(2^53 − 1), is refused with a clear message.
pub fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let exact = n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64).map(|f| f as i64));
    match exact {
        Some(i) if i.abs() <= MAX_SAFE_INTEGER => Ok(Some(i)),
        _ => Err(D::Error::custom(format!("expected a whole number from -{MAX_SAFE_INTEGER} to {MAX_SAFE_INTEGER}, got {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "whole")]
        n: Option<i64>,
    }

    fn parse(json: &str) -> Result<Option<i64>, String> {
        serde_json::from_str::<Body>(json).map(|b| b.n).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_in_either_spelling_are_accepted() {
        assert_eq!(parse(r#"{"n": 60}"#), Ok(Some(60)));
        assert_eq!(parse(r#"{"n": 60.0}"#), Ok(Some(60)));
        assert_eq!(parse(r#"{"n": -3e2}"#), Ok(Some(-300)));
        assert_eq!(parse(r#"{"n": 9007199254740991}"#), Ok(Some(MAX_SAFE_INTEGER)));
        assert_eq!(parse(r#"{"n": null}"#), Ok(None));
        assert_eq!(parse("{}"), Ok(None));
    }

    #[test]
    fn fractions_huge_values_and_other_types_are_refused() {
        for body in
            [r#"{"n": 1.5}"#, r#"{"n": 9007199254740992}"#, r#"{"n": 2.2e23}"#, r#"{"n": -1e300}"#, r#"{"n": 18446744073709551615}"#]
        {
            let err = parse(body).expect_err(body);
            assert!(err.contains("expected a whole number"), "{body}: {err}");
        }
        assert!(parse(r#"{"n": "5"}"#).is_err());
        assert!(parse(r#"{"n": true}"#).is_err());
    }
}
