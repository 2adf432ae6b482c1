//! The dashboard overview: headline counts, sign-ins and failed sign-ins per day, and the
//! recent security events.

use crate::auth::audit::{LOGIN_FAILED, LOGIN_SUCCEEDED};
use crate::clock::Clock;
use crate::store::{AuditRow, Counts, Store, StoreError};

pub const DAYS: usize = 30;
const DAY: i64 = 86_400;

/// One day's figures, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    /// Days since the epoch (UTC).
    pub day: i64,
    pub sign_ins: i64,
    pub failures: i64,
}

pub struct Overview {
    pub counts: Counts,
    pub days: Vec<Day>,
    pub events: Vec<AuditRow>,
}

/// Fills the last `DAYS` days (today included), with zero on days without events.
fn per_day(today: i64, ok: &[(i64, i64)], failed: &[(i64, i64)]) -> Vec<Day> {
    let first = today - (DAYS as i64 - 1);
    (first..=today)
        .map(|day| {
            let find = |v: &[(i64, i64)]| v.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            Day { day, sign_ins: find(ok), failures: find(failed) }
        })
        .collect()
}

pub async fn load(store: &Store, clock: &Clock) -> Result<Overview, StoreError> {
    let now = clock.now();
    let today = now.div_euclid(DAY);
    let since = (today - (DAYS as i64 - 1)) * DAY;
    let ok = store.audit_daily_counts(LOGIN_SUCCEEDED, since).await?;
    let failed = store.audit_daily_counts(LOGIN_FAILED, since).await?;
    Ok(Overview {
        counts: store.dashboard_counts(now).await?,
        days: per_day(today, &ok, &failed),
        events: store.recent_audit_except(LOGIN_SUCCEEDED, 12).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_window_is_there_in_order() {
        let days = per_day(100, &[(100, 3), (75, 1)], &[(99, 2), (60, 9)]);
        assert_eq!(days.len(), DAYS);
        assert_eq!(days[0].day, 71);
        assert_eq!(days[DAYS - 1], Day { day: 100, sign_ins: 3, failures: 0 });
        assert_eq!(days[DAYS - 2], Day { day: 99, sign_ins: 0, failures: 2 });
        assert_eq!(days.iter().map(|d| d.sign_ins + d.failures).sum::<i64>(), 6, "day 60 is outside the window");
    }
}
