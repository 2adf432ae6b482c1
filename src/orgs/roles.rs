//! Role structures: an ordered hierarchy (rank 0 at the top) and the permissions each
//! role grants. Pure logic, no I/O.

use serde::{Deserialize, Serialize};

pub const CAN_INVITE: &str = "gatehouse::can_invite";
pub const CAN_CHANGE_ROLES: &str = "gatehouse::can_change_roles";
pub const CAN_REMOVE_USERS: &str = "gatehouse::can_remove_users";
pub const CAN_MANAGE_ORG: &str = "gatehouse::can_manage_org";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RoleStructure {
    pub name: String,
    #[serde(default)]
    pub multi_role: bool,
    /// Highest first.
    pub roles: Vec<Role>,
}

impl RoleStructure {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("the role structure needs a name".into());
        }
        if self.roles.is_empty() {
            return Err("a role structure needs at least one role".into());
        }
        for (i, r) in self.roles.iter().enumerate() {
            if r.name.trim().is_empty() || r.name.len() > 100 {
                return Err("role names must be 1 to 100 characters".into());
            }
            if self.roles[..i].iter().any(|o| o.name == r.name) {
                return Err(format!("role `{}` appears twice", r.name));
            }
            if r.permissions.iter().any(|p| p.trim().is_empty() || p.len() > 200) {
                return Err(format!("role `{}` has an empty or overlong permission", r.name));
            }
        }
        Ok(())
    }

    pub fn rank(&self, role: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.name == role)
    }

    /// The role named `name`, matched as the product shows role names: exactly, or else
    /// ignoring case (`member` is `Member`) when that is unambiguous.
    pub fn resolve(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        if let Some(r) = self.roles.iter().find(|r| r.name == name) {
            return Some(&r.name);
        }
        let mut folded = self.roles.iter().filter(|r| r.name.eq_ignore_ascii_case(name));
        match (folded.next(), folded.next()) {
            (Some(r), None) => Some(&r.name),
            _ => None,
        }
    }

    /// "Owner, Admin, Member": for messages that list the valid roles.
    pub fn names(&self) -> String {
        self.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    pub fn top_role(&self) -> &str {
        self.roles.first().map(|r| r.name.as_str()).unwrap_or("Owner")
    }

    /// The lowest role: what a new member gets by default.
    pub fn bottom_role(&self) -> &str {
        self.roles.last().map(|r| r.name.as_str()).unwrap_or("Member")
    }

    pub fn structure_name(&self) -> &'static str {
        if self.multi_role { "multi_role" } else { "single_role_in_hierarchy" }
    }

    /// `inherited_user_roles_plus_current_role`: the role and every role below it (in
    /// multi-role mode: the role plus the additional roles).
    pub fn inherited(&self, role: &str, additional: &[String]) -> Vec<String> {
        if self.multi_role {
            let mut out = vec![role.to_string()];
            out.extend(additional.iter().filter(|a| a.as_str() != role).cloned());
            return out;
        }
        match self.rank(role) {
            Some(i) => self.roles[i..].iter().map(|r| r.name.clone()).collect(),
            None => vec![role.to_string()],
        }
    }

    /// Effective permissions: those of every role in `inherited`, without duplicates.
    pub fn permissions(&self, role: &str, additional: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for name in self.inherited(role, additional) {
            if let Some(r) = self.roles.iter().find(|r| r.name == name) {
                for p in &r.permissions {
                    if !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
        }
        out
    }

    /// True when `actor_role` sits at or above `target_role` in the hierarchy. In
    /// multi-role mode every assigned role counts as the actor's level.
    pub fn at_or_above(&self, actor_role: &str, actor_additional: &[String], target_role: &str) -> bool {
        let Some(target) = self.rank(target_role) else { return false };
        let mut actor_ranks = vec![self.rank(actor_role)];
        if self.multi_role {
            actor_ranks.extend(actor_additional.iter().map(|a| self.rank(a)));
        }
        actor_ranks.into_iter().flatten().any(|a| a <= target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> RoleStructure {
        RoleStructure {
            name: "Default".into(),
            multi_role: false,
            roles: vec![
                Role { name: "Owner".into(), permissions: vec![CAN_INVITE.into(), "billing".into()] },
                Role { name: "Admin".into(), permissions: vec![CAN_INVITE.into()] },
                Role { name: "Member".into(), permissions: vec!["read".into()] },
            ],
        }
    }

    #[test]
    fn hierarchy_inherits_roles_and_permissions_below() {
        let s = default();
        assert_eq!(s.inherited("Admin", &[]), vec!["Admin", "Member"]);
        assert_eq!(s.permissions("Admin", &[]), vec![CAN_INVITE, "read"]);
        assert_eq!(s.permissions("Owner", &[]), vec![CAN_INVITE, "billing", "read"]);
        assert_eq!(s.structure_name(), "single_role_in_hierarchy");
        assert!(s.at_or_above("Admin", &[], "Admin"));
        assert!(s.at_or_above("Admin", &[], "Member"));
        assert!(!s.at_or_above("Admin", &[], "Owner"));
        assert!(!s.at_or_above("Admin", &[], "Unknown"));
    }

    #[test]
    fn multi_role_uses_assigned_roles_only() {
        let mut s = default();
        s.multi_role = true;
        assert_eq!(s.inherited("Member", &["Admin".into()]), vec!["Member", "Admin"]);
        assert_eq!(s.permissions("Member", &["Admin".into()]), vec!["read", CAN_INVITE]);
        assert!(s.at_or_above("Member", &["Admin".into()], "Admin"));
        assert_eq!(s.structure_name(), "multi_role");
    }

    #[test]
    fn validation_refuses_empty_and_duplicate_roles() {
        let mut s = default();
        assert!(s.validate().is_ok());
        s.roles.push(Role { name: "Admin".into(), permissions: vec![] });
        assert!(s.validate().is_err());
        s.roles.clear();
        assert!(s.validate().is_err());
    }
}
