//! One page of a listing and the number of matches, read at once.

use super::{Store, StoreError, on_db};

impl Store {
    /// The rows of `sql` (whose last two parameters are LIMIT and OFFSET, after `binds`) and
    /// the count of `count_sql` (parameters: `binds`), on two connections at once: a deep page
    /// and the count of a million rows each take tens of milliseconds (issue 12,
    /// `scripts/bench --scale`).
    pub(crate) async fn page_and_count<T>(
        &self,
        sql: &str,
        count_sql: &str,
        binds: &[&str],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<T>, i64), StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let page = async {
            on_db!(&self.db, pool => {
                let mut q = sqlx::query_as::<_, T>(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.bind(limit).bind(offset).fetch_all(pool).await
            })
        };
        let count = async {
            on_db!(&self.db, pool => {
                let mut q = sqlx::query_as::<_, (i64,)>(count_sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.fetch_one(pool).await
            })
        };
        let (rows, (total,)) = tokio::try_join!(page, count)?;
        Ok((rows, total))
    }
}
