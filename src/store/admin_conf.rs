//! Queries of the admin dashboard's configuration pages: the audit log search, emails and
//! names for the ids a page shows (one query per page, never one per row), and role renames.

use super::{AuditRow, Store, StoreError, on_db, on_db_write};
use sqlx::Connection as _; // `begin` on the SQLite writer (`writer::Writer`)

/// Which audit entries to return, newest first. Every field is optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// An exact action (`api_key.created`).
    pub action: Option<String>,
    /// Actions starting with this (`login.` for `login.*`).
    pub action_prefix: Option<String>,
    pub subject: Option<String>,
    /// Entries at or after this time.
    pub from: Option<i64>,
    /// Entries before this time.
    pub until: Option<i64>,
    /// Keyset cursor: entries strictly older than this `(at, id)`.
    pub before: Option<(i64, String)>,
}

fn like_prefix(prefix: &str) -> String {
    let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{escaped}%")
}

/// `$1, $2, …` for `n` values.
fn marks(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// A page of audit entries matching `f`, newest first.
    pub async fn search_audit(&self, f: &AuditFilter, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let (before_at, before_id) = match &f.before {
            Some((at, id)) => (Some(*at), Some(id.clone())),
            None => (None, None),
        };
        let prefix = f.action_prefix.as_deref().map(like_prefix);
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor, action, subject, detail, ip FROM audit_log \
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR action LIKE $3 ESCAPE '\\') \
             AND ($4 IS NULL OR subject = $4) AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) \
             AND ($7 IS NULL OR at < $7 OR (at = $7 AND id < $8)) \
             ORDER BY at DESC, id DESC LIMIT $9")
            .bind(&f.actor).bind(&f.action).bind(&prefix).bind(&f.subject).bind(f.from).bind(f.until)
            .bind(before_at).bind(&before_id).bind(limit)
            .fetch_all(pool).await)?)
    }

    /// `(id, email)` of the users among `ids` (unknown ids are left out).
    pub async fn user_emails(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT id, email FROM users WHERE id IN ({})", marks(ids.len()));
        Ok(on_db!(&self.db, pool => {
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?)
    }

    /// `(id, name)` of the orgs among `ids`.
    pub async fn org_names(&self, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT id, name FROM orgs WHERE id IN ({})", marks(ids.len()));
        Ok(on_db!(&self.db, pool => {
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?)
    }

    /// Replaces a mapping's roles and renames roles in the memberships and invitations of the
    /// orgs using it, in one transaction. `renames` are `(old, new)` pairs; swaps are safe.
    pub async fn save_role_mapping(
        &self,
        mapping: &str,
        multi_role: bool,
        roles: &[(String, String)],
        renames: &[(String, String)],
        now: i64,
    ) -> Result<(), StoreError> {
        // Two steps through names no role can have (roles are 1–100 printable characters), so
        // that `A → B, B → A` does not merge the two.
        let parked: Vec<(String, String, String)> =
            renames.iter().enumerate().map(|(i, (old, new))| (old.clone(), format!("\u{1}rename\u{1}{i}"), new.clone())).collect();
        on_db_write!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO role_mappings (name, multi_role, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (name) DO UPDATE SET multi_role = $2")
                .bind(mapping).bind(multi_role).bind(now).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM roles WHERE mapping_name = $1").bind(mapping).execute(&mut *tx).await?;
            for (rank, (name, permissions)) in roles.iter().enumerate() {
                sqlx::query("INSERT INTO roles (mapping_name, name, rank, permissions) VALUES ($1, $2, $3, $4)")
                    .bind(mapping).bind(name).bind(rank as i64).bind(permissions).execute(&mut *tx).await?;
            }
            let steps: Vec<(&str, &str)> = parked.iter().map(|(old, tmp, _)| (old.as_str(), tmp.as_str()))
                .chain(parked.iter().map(|(_, tmp, new)| (tmp.as_str(), new.as_str()))).collect();
            for (from, to) in &steps {
                for table in ["org_memberships", "org_invites"] {
                    let sql = format!("UPDATE {table} SET role = $1 WHERE role = $2 AND org_id IN \
                                       (SELECT id FROM orgs WHERE COALESCE(custom_role_mapping_name, 'Default') = $3)");
                    sqlx::query(&sql).bind(to).bind(from).bind(mapping).execute(&mut *tx).await?;
                }
            }
            if !renames.is_empty() {
                // Additional roles are a JSON list: rewritten here, the same way on both databases.
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT 'm', org_id || ' ' || user_id, additional_roles FROM org_memberships WHERE additional_roles <> '[]' AND org_id IN \
                     (SELECT id FROM orgs WHERE COALESCE(custom_role_mapping_name, 'Default') = $1) \
                     UNION ALL SELECT 'i', token_hash, additional_roles FROM org_invites WHERE additional_roles <> '[]' AND org_id IN \
                     (SELECT id FROM orgs WHERE COALESCE(custom_role_mapping_name, 'Default') = $1)")
                    .bind(mapping).fetch_all(&mut *tx).await?;
                for (kind, key, list) in rows {
                    let old: Vec<String> = serde_json::from_str(&list).unwrap_or_default();
                    let new: Vec<String> = old.iter()
                        .map(|r| renames.iter().find(|(from, _)| from == r).map(|(_, to)| to.clone()).unwrap_or_else(|| r.clone()))
                        .collect();
                    if new == old {
                        continue;
                    }
                    let text = serde_json::to_string(&new).unwrap_or_else(|_| "[]".into());
                    if kind == "m" {
                        let (org_id, user_id) = key.split_once(' ').unwrap_or_default();
                        sqlx::query("UPDATE org_memberships SET additional_roles = $1 WHERE org_id = $2 AND user_id = $3")
                            .bind(&text).bind(org_id).bind(user_id).execute(&mut *tx).await?;
                    } else {
                        sqlx::query("UPDATE org_invites SET additional_roles = $1 WHERE token_hash = $2")
                            .bind(&text).bind(&key).execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }
}
