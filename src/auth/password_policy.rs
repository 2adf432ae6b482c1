//! What a new password must be (NIST SP 800-63B §5.1.1.2): long enough (8 characters by
//! default, `password_min_length`), not on a list of common and breached passwords shipped in
//! the binary, not a repeated or sequential run (`aaaaaaaa`, `12345678`), and not built from
//! the account's own email address or name. No composition rules, no expiry. Every place that
//! sets a password (signup, reset, change, set-up, invitations, the CLI and the backend API)
//! asks `check`; only imported hashes (`migrate_user`) are exempt.

use std::collections::HashSet;
use std::sync::OnceLock;

pub const MAX_PASSWORD_LEN: usize = 1024;

/// Royce Williams' list of the most common passwords in breach corpora, as Django ships it,
/// filtered to 8+ characters (see the file's header).
static COMMON_PASSWORDS: &str = include_str!("../../assets/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    #[error("the password must be at least {0} characters")]
    TooShort(usize),
    #[error("the password must be at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
    #[error("this password is on a list of common or breached passwords; choose one that is harder to guess")]
    Common,
    #[error("the password is a repeated or sequential run of characters (like aaaaaaaa or 12345678); choose another")]
    Repetitive,
    #[error("the password must not be built from your email address or name; choose another")]
    Personal,
}

/// What the account is known by: a password must not be built from it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Personal<'a> {
    pub email: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub username: Option<&'a str>,
}

impl<'a> Personal<'a> {
    pub fn email(email: &'a str) -> Self {
        Self { email, ..Default::default() }
    }

    pub fn of(user: &'a crate::store::UserRow) -> Self {
        Self {
            email: &user.email,
            first_name: user.first_name.as_deref(),
            last_name: user.last_name.as_deref(),
            username: user.username.as_deref(),
        }
    }

    /// Lower-cased words of three or more characters the password must not be made of.
    fn words(&self) -> Vec<String> {
        let email = self.email.trim().to_lowercase();
        let (local, domain) = email.split_once('@').unwrap_or((email.as_str(), ""));
        let mut words = vec![email.clone(), local.to_string()];
        words.extend(local.split(['.', '_', '-', '+']).map(str::to_string));
        words.extend(domain.split('.').next().map(str::to_string));
        for name in [self.first_name, self.last_name, self.username].into_iter().flatten() {
            let name = name.trim().to_lowercase();
            words.extend(name.split_whitespace().map(str::to_string));
            words.push(name.split_whitespace().collect());
        }
        words.retain(|w| w.chars().count() >= 3);
        // Longest first, so `alice.smith` is removed before `alice`.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        words
    }
}

/// Checks a new password against the rules above.
pub fn check(min_length: usize, password: &str, personal: &Personal<'_>) -> Result<(), PasswordRejection> {
    let n = password.chars().count();
    if n < min_length {
        return Err(PasswordRejection::TooShort(min_length));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(PasswordRejection::TooLong);
    }
    let lower = password.to_lowercase();
    if common().contains(lower.as_str()) || common().contains(lower.trim()) {
        return Err(PasswordRejection::Common);
    }
    if is_run(&lower) {
        return Err(PasswordRejection::Repetitive);
    }
    if built_from(&lower, &personal.words()) {
        return Err(PasswordRejection::Personal);
    }
    Ok(())
}

/// One character repeated, a short pattern repeated (`abcabcabc`), or a straight run
/// up or down the alphabet or digits (`abcdefgh`, `98765432`).
fn is_run(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    let repeated = (1..=chars.len() / 2).any(|len| chars.len().is_multiple_of(len) && chars.chunks(len).all(|c| c == &chars[..len]));
    let step = |d: i64| chars.windows(2).all(|w| w[1] as i64 - w[0] as i64 == d);
    repeated || step(1) || step(-1)
}

/// Whether the password is mostly personal words: after removing them (and the digits and
/// symbols people pad with), fewer than six characters of its own remain.
fn built_from(password: &str, words: &[String]) -> bool {
    let mut rest = password.to_string();
    let mut found = false;
    for w in words {
        if rest.contains(w.as_str()) {
            rest = rest.replace(w.as_str(), "");
            found = true;
        }
    }
    found && rest.chars().filter(|c| c.is_alphanumeric() && !c.is_ascii_digit()).count() + digits_kept(&rest) < 6
}

/// Digits count towards what remains only beyond a padding of four (a year, `1234`).
fn digits_kept(rest: &str) -> usize {
    rest.chars().filter(char::is_ascii_digit).count().saturating_sub(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_is_loaded() {
        assert!(common().len() > 8000, "{}", common().len());
        assert!(common().contains("password"));
    }

    #[test]
    fn weak_passwords_are_refused_and_good_ones_pass() {
        let alice = Personal { email: "alice.smith@example.com", first_name: Some("Alice"), last_name: Some("Smith"), username: None };
        assert_eq!(check(8, "short", &alice), Err(PasswordRejection::TooShort(8)));
        assert_eq!(check(12, "eleven char", &alice), Err(PasswordRejection::TooShort(12)));
        for common in ["password", "12345678", "Password", "iloveyou", "qwertyuiop"] {
            assert_eq!(check(8, common, &alice), Err(PasswordRejection::Common), "{common}");
        }
        for run in ["qzqzqzqzqz", "abcabcabcabc", "qponmlkjih", "zyxwvutsrq"] {
            assert_eq!(check(8, run, &alice), Err(PasswordRejection::Repetitive), "{run}");
        }
        for personal in ["alice.smith@example.com", "AliceSmith", "alice2024!", "smith-alice", "example1234"] {
            assert_eq!(check(8, personal, &alice), Err(PasswordRejection::Personal), "{personal}");
        }
        for good in ["correct horse battery", "alice likes purple rain", "Tr0ub4dor&3x", "a long password"] {
            assert_eq!(check(8, good, &alice), Ok(()), "{good}");
        }
        assert_eq!(check(8, &"x1".repeat(600), &alice), Err(PasswordRejection::TooLong));
    }
}
