//! One module per page; `app.rs` maps each to its route.

mod account;
mod agents;
mod alerts;
mod api_keys;
mod audit;
mod forbidden;
mod join;
mod link_page;
mod login;
mod not_found;
mod overview;
mod password_reset;
mod people;
mod policies;
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
pub use forbidden::Forbidden;
pub use join::Join;
pub use login::Login;
pub use not_found::NotFound;
pub use overview::Overview;
pub use password_reset::{ForgotPassword, ResetPassword};
pub use people::People;
pub use policies::Policies;
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

/// The person and day a Sessions or Screenshots page shows: read from `?user=&day=`
/// when the page opens and kept there, so that a reload or a shared link shows the same
/// day. An empty person is the signed-in person.
fn person_and_day() -> (
    leptos::prelude::RwSignal<String>,
    leptos::prelude::RwSignal<chrono::NaiveDate>,
) {
    use leptos::prelude::*;
    use leptos_router::NavigateOptions;
    use leptos_router::hooks::{use_location, use_navigate, use_query_map};

    let query = use_query_map();
    let (user, day) = query.with_untracked(|query| {
        let user = query
            .get("user")
            .filter(|user| user.parse::<pulse_shared::ids::UserId>().is_ok())
            .unwrap_or_default();
        let day = query
            .get("day")
            .and_then(|day| crate::days::parse_input(&day))
            .unwrap_or_else(crate::days::today)
            .min(crate::days::today());
        (user, day)
    });
    let user = RwSignal::new(user);
    let day = RwSignal::new(day);
    let navigate = use_navigate();
    let pathname = use_location().pathname;
    Effect::new(move |previous: Option<()>| {
        let (user, day) = (user.get(), day.get());
        if previous.is_none() {
            return;
        }
        let mut path = format!(
            "{}?day={}",
            pathname.get_untracked(),
            crate::days::input_value(day)
        );
        if !user.is_empty() {
            path.push_str("&user=");
            path.push_str(&user);
        }
        navigate(
            &path,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    (user, day)
}

/// The choices of a person `<select>` on the Sessions and Screenshots pages: the
/// signed-in person first (value ""), then everyone else by name.
fn person_options(
    people: &[pulse_shared::people::Person],
    me: Option<&pulse_shared::people::Person>,
) -> Vec<crate::components::SelectOption> {
    let mut others: Vec<&pulse_shared::people::Person> = people
        .iter()
        .filter(|person| Some(person.id) != me.map(|me| me.id))
        .collect();
    others.sort_by_key(|person| person.name.to_lowercase());
    let mut options = vec![(
        String::new(),
        me.map_or_else(|| "You".to_owned(), |me| format!("You ({})", me.name)),
    )];
    options.extend(
        others
            .into_iter()
            .map(|person| (person.id.to_string(), person.name.clone())),
    );
    options
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
