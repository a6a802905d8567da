//! `Badge`: a short status label in one of five tones.

use leptos::prelude::*;
use pulse_shared::agents::AgentStatus;
use pulse_shared::alerts::Severity;
use pulse_shared::reports::{Attendance, Productivity};

/// The meaning a badge's colour carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadgeTone {
    #[default]
    Neutral,
    Success,
    Warning,
    Danger,
    Info,
}

impl BadgeTone {
    fn class(self) -> &'static str {
        match self {
            Self::Neutral => "badge badge-neutral",
            Self::Success => "badge badge-success",
            Self::Warning => "badge badge-warning",
            Self::Danger => "badge badge-danger",
            Self::Info => "badge badge-info",
        }
    }
}

/// The colour of an alert's severity: the same everywhere alerts are shown.
impl From<Severity> for BadgeTone {
    fn from(severity: Severity) -> Self {
        match severity {
            Severity::Info => Self::Info,
            Severity::Warning => Self::Warning,
            Severity::Critical => Self::Danger,
        }
    }
}

/// The colour of an agent's status: on the Agent Monitor and wherever a computer is shown.
impl From<AgentStatus> for BadgeTone {
    fn from(status: AgentStatus) -> Self {
        match status {
            AgentStatus::Online => Self::Success,
            AgentStatus::Offline => Self::Warning,
            AgentStatus::Missing => Self::Danger,
            AgentStatus::Revoked => Self::Neutral,
        }
    }
}

/// The colour of a classification: the same in reports and on the Categories page.
impl From<Productivity> for BadgeTone {
    fn from(productivity: Productivity) -> Self {
        match productivity {
            Productivity::Productive => Self::Success,
            Productivity::Neutral => Self::Neutral,
            Productivity::Unproductive => Self::Danger,
        }
    }
}

/// The colour of how a day went against the working hours.
impl From<Attendance> for BadgeTone {
    fn from(status: Attendance) -> Self {
        match status {
            Attendance::OnTime => Self::Success,
            Attendance::LateStart | Attendance::EarlyEnd | Attendance::LateStartEarlyEnd => {
                Self::Warning
            }
            Attendance::Absent => Self::Danger,
            Attendance::DayOff | Attendance::Unscheduled => Self::Neutral,
        }
    }
}

/// A pill with a coloured dot and text. The text must make sense without the colour.
#[component]
pub fn Badge(
    /// The colour and dot of the badge.
    #[prop(optional)]
    tone: BadgeTone,
    children: Children,
) -> impl IntoView {
    view! {
        <span class=tone.class()>
            <span class="badge-dot" aria-hidden="true"></span>
            {children()}
        </span>
    }
}
