//! Whose things a user reaches. The server's access table says which roles reach a route; this
//! says which company's things a user may act on there, and which an administrator may change.
//!
//! A group administrator (role `admin`, no company) may do everything: companies, the holiday
//! calendar every company shares, and every company's units, users, policy and season. A company
//! administrator (role `admin` with a company) administers that company only, and never touches
//! group-level users (those without a company).

use rexian_domain::model::Role;
use rexian_store::org::{Company, User};

use crate::{Actor, App, AppError, AppResult};

/// The reach of an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    /// The whole group.
    Group,
    /// One company.
    Company(i64),
}

/// The administrative reach of `me`, if `me` is an administrator.
pub fn admin_scope(me: &Actor) -> Option<AdminScope> {
    if !me.has(Role::Admin) {
        return None;
    }
    Some(match me.company_id {
        None => AdminScope::Group,
        Some(c) => AdminScope::Company(c),
    })
}

fn refused(message: &str) -> AppError {
    tracing::warn!(
        reason = message,
        "administration outside the caller's scope refused"
    );
    AppError::Forbidden
}

/// Group-level changes: companies and the shared holiday calendar.
pub fn require_group_admin(me: &Actor) -> AppResult<()> {
    match admin_scope(me) {
        Some(AdminScope::Group) => Ok(()),
        _ => Err(refused("group administrators only")),
    }
}

/// Changes to one company's units, policy and season.
pub fn require_company_admin(me: &Actor, company_id: i64) -> AppResult<()> {
    match admin_scope(me) {
        Some(AdminScope::Group) => Ok(()),
        Some(AdminScope::Company(c)) if c == company_id => Ok(()),
        _ => Err(refused("another company's administration")),
    }
}

/// Changes to a user (password, disabling, partner): a company administrator reaches only the
/// users of their own company.
pub fn require_user_admin(me: &Actor, target: &User) -> AppResult<()> {
    match (admin_scope(me), target.company_id) {
        (Some(AdminScope::Group), _) => Ok(()),
        (Some(AdminScope::Company(c)), Some(t)) if c == t => Ok(()),
        _ => Err(refused("a user outside the caller's company")),
    }
}

/// The company a new user may belong to: a company administrator creates users of their own
/// company only (the company defaults to theirs; none means a group-level user, refused).
pub fn new_user_company(me: &Actor, requested: Option<i64>) -> AppResult<Option<i64>> {
    match admin_scope(me) {
        Some(AdminScope::Group) => Ok(requested),
        Some(AdminScope::Company(c)) => match requested {
            None => Ok(Some(c)),
            Some(r) if r == c => Ok(Some(c)),
            Some(_) => Err(AppError::invalid(
                "company_id",
                "you may create users of your own company only",
            )),
        },
        None => Err(refused("not an administrator")),
    }
}

/// The company whose staff `me` may list: staff of a company list their own company only;
/// group-level staff list what they ask for (every company when they ask for none).
pub fn visible_company(me: &Actor, requested: Option<i64>) -> AppResult<Option<i64>> {
    match (me.company_id, requested) {
        (None, r) => Ok(r),
        (Some(c), None) => Ok(Some(c)),
        (Some(c), Some(r)) if r == c => Ok(Some(c)),
        (Some(_), Some(_)) => Err(refused("another company's staff")),
    }
}

/// Whether `me` may see `user` (listing and reading staff).
pub fn may_see_user(me: &Actor, user: &User) -> bool {
    match me.company_id {
        None => true,
        Some(c) => user.company_id == Some(c),
    }
}

/// The company `id` names, for acting in it: `invalid_input` naming `field` when there is none;
/// `forbidden` when `me` belongs to another company. The one tenancy check of the use cases.
pub async fn company_for(app: &App, me: &Actor, field: &str, id: i64) -> AppResult<Company> {
    let company = app
        .store
        .company(id)
        .await
        .map_err(|_| AppError::invalid(field, format!("{field} names no company")))?;
    if me.company_id.is_some_and(|c| c != company.id) {
        return Err(AppError::Forbidden);
    }
    Ok(company)
}

/// The company a request is about: the caller's own; group-level staff name one (`field`).
pub async fn chosen_company(
    app: &App,
    me: &Actor,
    field: &str,
    requested: Option<i64>,
) -> AppResult<Company> {
    match (me.company_id, requested) {
        (Some(c), Some(r)) if r != c => Err(AppError::Forbidden),
        (Some(c), _) => company_for(app, me, field, c).await,
        (None, Some(r)) => company_for(app, me, field, r).await,
        (None, None) => Err(AppError::invalid(field, "choose a company")),
    }
}

/// The company's policy (preset with its override).
pub fn company_policy(c: &Company) -> AppResult<rexian_domain::Policy> {
    c.policy()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("policy of company {}: {e}", c.id)))
}

/// A user's own affairs (away periods): the user themself, or a supervisor or administrator of
/// their company (a group administrator for anyone). `NotFound` for a user `me` may not see;
/// `Forbidden` for a colleague without the role.
pub fn require_user_affairs(me: &Actor, target: &User) -> AppResult<()> {
    if !may_see_user(me, target) {
        return Err(AppError::NotFound);
    }
    if me.id == target.id {
        return Ok(());
    }
    if me.has(Role::Supervisor) {
        return Ok(());
    }
    match admin_scope(me) {
        Some(AdminScope::Group) => Ok(()),
        Some(AdminScope::Company(c)) if target.company_id == Some(c) => Ok(()),
        _ => Err(refused("another user's affairs")),
    }
}
