//! What a section's page is called and says of itself: its title and the sentence under
//! it. They are in the core, not in the section's chunk, so that a page opened from a
//! bookmark or a link shows its heading at once, on the loading page, while its code
//! arrives; the page draws the same heading when it comes, and nothing moves.
//!
//! Only pages whose heading is known before their data are here: a page whose heading
//! names what it shows (a person's day, an invoice, a report's period) opens on the
//! plain loading page.

use leptos::prelude::*;
use pulse_shared::access::{Action, Reach};

use crate::session::{Session, use_session};

/// A page's title (also the browser tab's) and lede.
#[derive(Clone, Copy)]
pub struct Heading {
    pub title: &'static str,
    /// The lede for the signed-in person; `None` while who they are is not known yet.
    lede: fn(Session) -> Option<&'static str>,
}

pub const ALERTS: Heading = Heading {
    title: "Alerts",
    lede: |_| Some("What happened that you should know about, newest first."),
};

pub const AGENTS: Heading = Heading {
    title: "Agents",
    lede: |session| {
        session.role()?;
        Some(if session.reaches_others(Action::ReadAgents) {
            "The computers that report to Pulse, live."
        } else {
            "Your computers that report to Pulse, live."
        })
    },
};

pub const PEOPLE: Heading = Heading {
    title: "Employees",
    lede: |session| {
        session.role()?;
        Some(if session.reach(Action::ReadPeople) == Reach::Company {
            "Everyone in your company."
        } else {
            "The people of the teams you manage."
        })
    },
};

pub const TEAMS: Heading = Heading {
    title: "Teams",
    lede: |_| Some("Departments, their managers and how many people each has."),
};

pub const POLICIES: Heading = Heading {
    title: "Policies",
    lede: |_| {
        Some(
            "What agents record and how long it is kept: a company default, with overrides for teams and people.",
        )
    },
};

pub const CATEGORIES: Heading = Heading {
    title: "Categories",
    lede: |_| {
        Some(
            "How time in each application and on each site counts in reports. A person's rule beats their team's, a team's beats the company's, and the company's beats the built-in catalogue.",
        )
    },
};

pub const WEBHOOKS: Heading = Heading {
    title: "Webhooks",
    lede: |_| Some("Send your company's alerts to your own systems as signed HTTPS requests."),
};

pub const AUDIT: Heading = Heading {
    title: "Audit log",
    lede: |_| Some("Every change in your company: who, what, when and from where."),
};

pub const BILLING: Heading = Heading {
    title: "Billing",
    lede: |_| Some("Your plan, the seats it gives you, how you pay and where invoices go."),
};

pub const ACCOUNT: Heading = Heading {
    title: "Account",
    lede: |_| Some("Your profile, how you sign in and how you are monitored."),
};

pub const STATUS: Heading = Heading {
    title: "System status",
    lede: |_| Some("The health of the Pulse server and the parts it depends on."),
};

/// The pages whose heading the core knows, by path (the routes in `app.rs`).
const BY_PATH: &[(&str, Heading)] = &[
    ("/alerts", ALERTS),
    ("/agents", AGENTS),
    ("/people", PEOPLE),
    ("/teams", TEAMS),
    ("/policies", POLICIES),
    ("/settings/categories", CATEGORIES),
    ("/webhooks", WEBHOOKS),
    ("/audit", AUDIT),
    ("/billing", BILLING),
    ("/account", ACCOUNT),
    ("/status", STATUS),
];

/// The heading of the page at `path`, if it is known before the page's code and data.
pub fn of(path: &str) -> Option<Heading> {
    let path = path.strip_suffix('/').unwrap_or(path);
    BY_PATH
        .iter()
        .find(|(known, _)| *known == path)
        .map(|(_, heading)| *heading)
}

/// The title and lede, the left of a `.page-header` (actions go beside it). Sets the
/// browser tab's title too.
#[component]
pub fn PageHeading(heading: Heading) -> impl IntoView {
    let session = use_session();
    super::set_title(heading.title);
    view! {
        <div>
            <h1 class="page-title">{heading.title}</h1>
            // A no-break space holds the line until the role is known: nothing below moves.
            <p class="page-lede">{move || (heading.lede)(session).unwrap_or("\u{a0}")}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_heading_is_of_a_routed_page() {
        let routes = include_str!("../app.rs");
        for (path, heading) in BY_PATH {
            assert!(
                routes.contains(&format!("path!(\"{path}\")")),
                "{path} ({}) is not a route of app.rs",
                heading.title
            );
            assert_eq!(
                of(&format!("{path}/")).map(|found| found.title),
                Some(heading.title)
            );
        }
        assert!(of("/billing/invoices").is_none());
    }
}
