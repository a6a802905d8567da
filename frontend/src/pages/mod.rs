//! One module per page; `app.rs` maps each to its route.

mod account;
mod agents;
mod alerts;
mod api_keys;
mod audit;
mod billing;
mod categories;
mod data_export;
mod forbidden;
pub mod heading;
mod join;
mod link_page;
mod login;
mod monitoring;
mod new_version;
mod not_found;
mod overview;
mod password_reset;
mod people;
mod person_day;
mod policies;
mod reports;
mod screenshots;
mod sessions;
mod signup;
mod status;
mod teams;
mod webhooks;

use link_page::{link_secret, link_submission};

pub use account::Account;
pub use agents::Agents;
pub use alerts::Alerts;
pub use api_keys::ApiKeys;
pub use audit::Audit;
pub use billing::{Billing, BillingInvoice, PaymentHistory};
pub use categories::Categories;
pub use forbidden::Forbidden;
pub use join::Join;
pub use login::Login;
pub use new_version::NewVersion;
pub use not_found::NotFound;
pub use overview::Overview;
pub use password_reset::{ForgotPassword, ResetPassword};
pub use people::People;
pub use policies::Policies;
pub use reports::Reports;
pub use screenshots::Screenshots;
pub use sessions::Sessions;
pub use signup::{Signup, VerifySignup};
pub use status::Status;
pub use teams::Teams;
pub use webhooks::Webhooks;

/// Sets the browser tab's title to `<page> · Pulse`.
fn set_title(page: &str) {
    leptos::prelude::document().set_title(&format!("{page} · Pulse"));
}

/// Where to go after signing in: the `next` page when it is a path of this app, else
/// the overview. Rationale: `next` comes from the URL, so anything that could lead to
/// another site (`//evil.example`, `https:…`, `/\evil`) is refused.
fn safe_next(next: Option<String>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.starts_with("/\\")
                && !next.starts_with("/login")
                && !next.starts_with("/signup")
                && !next.starts_with("/join")
                && !next.starts_with("/verify")
                && !next.starts_with("/reset") =>
        {
            next
        }
        _ => "/".to_owned(),
    }
}

/// The choices of a role `<select>`: value `owner`, text `Owner`, and so on.
fn role_options(roles: &[pulse_shared::people::Role]) -> Vec<crate::components::SelectOption> {
    roles
        .iter()
        .map(|role| (role.as_str().to_owned(), role.label().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_app() {
        let cases = [
            (None, "/"),
            (Some("/people?q=ada"), "/people?q=ada"),
            (Some("/audit"), "/audit"),
            (Some("//evil.example/x"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example"), "/"),
            (Some("/login?next=/x"), "/"),
            (Some(""), "/"),
        ];
        for (next, expected) in cases {
            assert_eq!(safe_next(next.map(str::to_owned)), expected, "{next:?}");
        }
    }
}
