//! Signup query parameters: the query string a user signed up through (UTM tags, a referral
//! code, …), kept on the user as a JSON object of strings and returned by PropelAuth's
//! `fetch_user_signup_query_params_by_user_id`. They come from the hosted signup page's URL
//! or from a magic link minted with `user_signup_query_parameters`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const MAX_PARAMS: usize = 32;
pub const MAX_KEY_LEN: usize = 128;
pub const MAX_VALUE_LEN: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignupParams(BTreeMap<String, String>);

impl SignupParams {
    /// From an API body: must be a JSON object whose values are all strings, within the limits.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("must be an object of string values".into());
        };
        if map.len() > MAX_PARAMS {
            return Err(format!("at most {MAX_PARAMS} parameters"));
        }
        let mut out = BTreeMap::new();
        for (k, v) in map {
            let Value::String(v) = v else {
                return Err(format!("the value of `{k}` must be a string"));
            };
            if k.is_empty() || k.len() > MAX_KEY_LEN || v.len() > MAX_VALUE_LEN {
                return Err(format!("names must be 1 to {MAX_KEY_LEN} bytes and values at most {MAX_VALUE_LEN} bytes"));
            }
            out.insert(k.clone(), v.clone());
        }
        Ok(Self(out))
    }

    /// From a signup page's query string. A visitor cannot be refused a signup over its URL,
    /// so what exceeds the limits is dropped rather than rejected; the first value of a
    /// repeated name wins.
    pub fn from_query(query: &str) -> Self {
        let mut out = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if out.len() >= MAX_PARAMS {
                break;
            }
            if k.is_empty() || k.len() > MAX_KEY_LEN || v.len() > MAX_VALUE_LEN {
                continue;
            }
            out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(out)
    }

    /// The stored form, and the inverse of [`SignupParams::parse_stored`].
    pub fn to_json(&self) -> String {
        let map: Map<String, Value> = self.0.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        Value::Object(map).to_string()
    }

    /// Reads a stored column back; anything unreadable counts as none.
    pub fn parse_stored(text: Option<&str>) -> Self {
        text.and_then(|t| serde_json::from_str::<Value>(t).ok()).and_then(|v| Self::from_json(&v).ok()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The query string form, to carry the parameters from the signup page to its form post.
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_must_be_an_object_of_strings() {
        assert!(SignupParams::from_json(&json!(["a"])).is_err());
        assert!(SignupParams::from_json(&json!({"n": 1})).is_err());
        assert!(SignupParams::from_json(&json!({"": "x"})).is_err());
        assert!(SignupParams::from_json(&json!({"k": "x".repeat(MAX_VALUE_LEN + 1)})).is_err());
        let p = SignupParams::from_json(&json!({"utm_source": "ads", "ref": "42"})).unwrap();
        assert_eq!(SignupParams::parse_stored(Some(&p.to_json())), p);
        assert_eq!(p.to_json(), r#"{"ref":"42","utm_source":"ads"}"#);
    }

    #[test]
    fn query_keeps_first_values_and_drops_what_exceeds_limits() {
        let long = "v".repeat(MAX_VALUE_LEN + 1);
        let p = SignupParams::from_query(&format!("utm_source=a%20b&utm_source=c&big={long}&=x&ref=7"));
        assert_eq!(p.to_json(), r#"{"ref":"7","utm_source":"a b"}"#);
        assert_eq!(SignupParams::from_query(&p.to_query()), p);
        let many: Vec<String> = (0..MAX_PARAMS + 5).map(|i| format!("k{i}=v")).collect();
        assert_eq!(SignupParams::from_query(&many.join("&")).0.len(), MAX_PARAMS);
        assert!(SignupParams::parse_stored(Some("not json")).is_empty());
        assert!(SignupParams::parse_stored(None).is_empty());
    }
}
