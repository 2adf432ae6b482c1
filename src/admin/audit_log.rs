//! The audit log as the dashboard and `gatehouse audit` show it: filters (actor, action,
//! target, date range), keyset pages, the emails of the users named, and the CSV export.

use crate::store::{AuditFilter, AuditRow, Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// Entries per page on the dashboard (and the CLI's default).
pub const PAGE: i64 = 50;
/// The most entries one CSV export holds.
pub const CSV_MAX: usize = 100_000;

/// The filters as typed by a person (query string or CLI flags); empty means "any".
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    /// A user id, a user's email, `cli`, `backend-api` or `system`.
    #[serde(default)]
    pub actor: Option<String>,
    /// An exact action, or a family such as `login.*`.
    #[serde(default)]
    pub action: Option<String>,
    /// The subject of the event (a user, client, org or key id, a setting name).
    #[serde(default)]
    pub target: Option<String>,
    /// First day (YYYY-MM-DD, UTC), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, UTC), inclusive.
    #[serde(default)]
    pub to: Option<String>,
    /// The cursor of the next page, from the previous one.
    #[serde(default)]
    pub before: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditQueryError {
    #[error("{field}: `{value}` is not a date like 2026-01-31")]
    BadDate { field: &'static str, value: String },
    #[error("the page cursor is not valid; start from the first page")]
    BadCursor,
    #[error("`from` is after `to`")]
    EmptyRange,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One entry with the emails of the users it names.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub id: String,
    pub at: i64,
    /// RFC 3339, UTC.
    pub time: String,
    pub actor: String,
    pub actor_email: Option<String>,
    pub action: String,
    pub target: String,
    pub target_email: Option<String>,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct Page {
    pub entries: Vec<Entry>,
    /// Pass as `before` for the next (older) page; none on the last page.
    pub next: Option<String>,
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn day(field: &'static str, v: &Option<String>) -> Result<Option<i64>, AuditQueryError> {
    let Some(text) = clean(v) else { return Ok(None) };
    let date = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| AuditQueryError::BadDate { field, value: text.clone() })?;
    Ok(date.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp()))
}

fn cursor(v: &Option<String>) -> Result<Option<(i64, String)>, AuditQueryError> {
    let Some(text) = clean(v) else { return Ok(None) };
    let (at, id) = text.split_once('_').ok_or(AuditQueryError::BadCursor)?;
    let at = at.parse::<i64>().map_err(|_| AuditQueryError::BadCursor)?;
    if id.is_empty() || id.len() > 64 {
        return Err(AuditQueryError::BadCursor);
    }
    Ok(Some((at, id.to_string())))
}

impl AuditQuery {
    /// Checks the filters and turns them into a store filter. An actor given as an email is
    /// looked up (an unknown email matches nothing).
    pub async fn filter(&self, store: &Store) -> Result<AuditFilter, AuditQueryError> {
        let from = day("from", &self.from)?;
        let until = day("to", &self.to)?.map(|d| d + 86_400);
        if let (Some(f), Some(u)) = (from, until)
            && f >= u
        {
            return Err(AuditQueryError::EmptyRange);
        }
        let mut actor = clean(&self.actor);
        if let Some(a) = &actor
            && a.contains('@')
            && let Ok(email) = crate::users::normalize_email(a)
            && let Some(user) = store.user_by_email(&email).await?
        {
            actor = Some(user.id);
        }
        let (action, action_prefix) = match clean(&self.action) {
            Some(a) if a.ends_with('*') => (None, Some(a.trim_end_matches('*').to_string())),
            other => (other, None),
        };
        Ok(AuditFilter { actor, action, action_prefix, subject: clean(&self.target), from, until, before: cursor(&self.before)? })
    }

    /// The filters as a query string (without the cursor), for links and the CSV export.
    pub fn query_string(&self) -> String {
        let pairs: Vec<(&str, String)> =
            [("actor", &self.actor), ("action", &self.action), ("target", &self.target), ("from", &self.from), ("to", &self.to)]
                .into_iter()
                .filter_map(|(k, v)| clean(v).map(|v| (k, v)))
                .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// Rows with the emails of the user ids they name, from one query.
async fn with_emails(store: &Store, rows: Vec<AuditRow>) -> Result<Vec<Entry>, StoreError> {
    let mut ids: Vec<String> =
        rows.iter().flat_map(|r| [r.actor.clone(), r.subject.clone()]).filter(|id| uuid::Uuid::parse_str(id).is_ok()).collect();
    ids.sort();
    ids.dedup();
    let emails: HashMap<String, String> = store.user_emails(&ids).await?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            time: chrono::DateTime::from_timestamp(r.at, 0).map(|d| d.to_rfc3339()).unwrap_or_default(),
            actor_email: emails.get(&r.actor).cloned(),
            target_email: emails.get(&r.subject).cloned(),
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.subject,
            ip: r.ip,
        })
        .collect())
}

/// One page of entries, newest first.
pub async fn search(store: &Store, q: &AuditQuery, limit: i64) -> Result<Page, AuditQueryError> {
    let filter = q.filter(store).await?;
    let limit = limit.clamp(1, 1000);
    let mut rows = store.search_audit(&filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = more.then(|| rows.last().map(|r| format!("{}_{}", r.at, r.id))).flatten();
    Ok(Page { entries: with_emails(store, rows).await?, next })
}

/// Every matching entry (up to `CSV_MAX`) as CSV, newest first.
pub async fn csv(store: &Store, q: &AuditQuery) -> Result<String, AuditQueryError> {
    let mut filter = q.filter(store).await?;
    let mut out = String::from("time,actor,actor_email,action,target,target_email,ip,detail\r\n");
    let mut written = 0;
    while written < CSV_MAX {
        let rows = store.search_audit(&filter, 1000).await?;
        let Some(last) = rows.last() else { break };
        filter.before = Some((last.at, last.id.clone()));
        let full = rows.len() == 1000;
        for e in with_emails(store, rows).await? {
            let detail = e.detail.to_string();
            let cells = [
                e.time.as_str(),
                e.actor.as_str(),
                e.actor_email.as_deref().unwrap_or(""),
                e.action.as_str(),
                e.target.as_str(),
                e.target_email.as_deref().unwrap_or(""),
                e.ip.as_deref().unwrap_or(""),
                detail.as_str(),
            ];
            out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
            written += 1;
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// One CSV cell: quoted when needed, and never read as a formula by a spreadsheet (a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`).
pub fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@sum"), "'@sum");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn cursors_and_dates_are_checked() {
        assert!(matches!(cursor(&Some("12_abc".into())), Ok(Some((12, _)))));
        assert!(matches!(cursor(&Some("nope".into())), Err(AuditQueryError::BadCursor)));
        assert!(matches!(day("from", &Some("2026-13-01".into())), Err(AuditQueryError::BadDate { .. })));
        assert_eq!(day("from", &Some("1970-01-02".into())).ok().flatten(), Some(86_400));
    }
}
