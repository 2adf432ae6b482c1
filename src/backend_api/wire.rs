//! Small shared pieces of the wire format: paging.

use super::BackendError;
use serde::Deserialize;
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
