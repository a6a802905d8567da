//! The sections of the app that load on first visit: the routes below are compiled into
//! six chunks, one per group of sections visited together (`split_<group>.wasm`, code
//! shared by several groups in `chunk_<n>.wasm`), which the browser fetches the first
//! time someone opens one of the group's pages. Only the sign-in page and the Overview
//! are in the core, which every visit loads.
//!
//! Few groups, not one chunk per page: the splitter puts the code each combination of
//! groups shares in a chunk of its own, so fourteen splits made hundreds of chunks,
//! most under a kilobyte, and a first visit fetched up to 140 files.
//!
//! A chunk that cannot be loaded (the server was updated since the tab opened, and the
//! build it belongs to is gone) shows [`NewVersion`] instead of the page, and the rest
//! of the app goes on working.
//!
//! When the app opens on a section, the shell shows a loading page until the section's
//! code is there ([`opening`]), with the page's heading when the core knows it
//! (`pages/heading.rs`), and the code is fetched only once that is painted: on a slow
//! line the heading draws as soon as the core runs. Later visits keep the page before
//! meanwhile, as the router does.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos_router::ChooseView;
use pulse_shared::access::Action;
use wasm_split_helpers::{SplitLoaderError, wasm_split};

use crate::app::Gate;
use crate::pages::{
    Account, Agents, Alerts, ApiKeys, Audit, Billing, BillingInvoice, Categories, ForgotPassword,
    Join, NewVersion, PaymentHistory, People, Policies, Reports, ResetPassword, Screenshots,
    Sessions, Signup, Status, Teams, VerifySignup, Webhooks,
};

/// A section's route, `<Route view=sections::name::ROUTE />`: the router fetches the
/// page's code (the page before stays meanwhile), then shows it.
///
/// One type for every section, not leptos's `Lazy<T>` per route: the router's code for a
/// lazy route (choosing, preloading, erasing) is compiled once per route type, about a
/// kilobyte each in the core.
#[derive(Clone, Copy)]
pub struct Section {
    view: fn() -> Pending<AnyView>,
    preload: fn() -> Pending<()>,
}

/// A section's code being fetched.
type Pending<T> = Pin<Box<dyn Future<Output = T>>>;

impl ChooseView for Section {
    async fn choose(self) -> AnyView {
        (self.view)().await
    }

    async fn preload(&self) {
        (self.preload)().await;
    }
}

/// `section!(name in split => view)` defines module `name` with the [`Section`]
/// `ROUTE`, whose `view` is compiled into the chunk `split` (routes naming the same
/// split share a chunk).
macro_rules! section {
    ($name:ident in $split:ident => $view:expr) => {
        pub mod $name {
            use super::*;

            // The fn is named after the module: the splitter's symbols are made of it.
            #[wasm_split($split, fallible, preload(fetch))]
            fn $name() -> Result<AnyView, SplitLoaderError> {
                Ok($view.into_any())
            }

            fn view() -> Pending<AnyView> {
                show(Box::pin($name()))
            }

            fn preload() -> Pending<()> {
                open(Box::pin(fetch()))
            }

            /// The route; its page loads its own data once its code is there.
            pub const ROUTE: Section = Section { view, preload };
        }
    };
}

/// A section's view once its code is there (`page`, the split function's call): the
/// page, or what to do when the code could not be fetched. One copy for every section:
/// only the split functions themselves are per section.
fn show(page: Pending<Result<AnyView, SplitLoaderError>>) -> Pending<AnyView> {
    let opening = Opening::resume();
    Box::pin(async move {
        let page = loaded(page.await);
        // Drawn in a task after the one the code arrived in: on a phone each is a
        // shorter wait before a tap is answered than both in one.
        crate::browser::next_task().await;
        drop(opening);
        page
    })
}

/// Fetches a section's code (`fetch`, its split's preload): the router does this first,
/// then asks for the view. When the app opens on the section, the page's heading is
/// painted first, as on a slow line the code takes a while.
fn open(fetch: Pending<Result<(), SplitLoaderError>>) -> Pending<()> {
    let opening = Opening::start();
    Box::pin(async move {
        if opening.is_some() {
            painted().await;
        }
        // A failure shows when the view is asked for (the load is retried).
        let _ = fetch.await;
        if let Some(opening) = opening {
            opening.hand_over();
        }
    })
}

thread_local! {
    /// Whether the first page is a section whose code has not arrived yet.
    static OPENING: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Whether the page the app opened on is a section still waiting for its code: the shell
/// shows a loading page in its place rather than nothing (reactive).
pub fn opening() -> bool {
    OPENING.with(ArcRwSignal::get)
}

/// [`opening`], untracked.
pub fn opening_untracked() -> bool {
    OPENING.with(ArcRwSignal::get_untracked)
}

/// While one lives, the app is [`opening`] on a section.
struct Opening {
    /// Whether dropping it ends the opening (not when handed over to the page's view).
    ends: bool,
}

impl Opening {
    /// Starts the opening when no page is on screen: the app has just started, and the
    /// router shows nothing until the first page's code is there (later, it keeps the
    /// page before meanwhile).
    fn start() -> Option<Self> {
        let shown = document()
            .query_selector("#main > .page")
            .ok()
            .flatten()
            .is_some();
        if shown {
            return None;
        }
        OPENING.with(|opening| opening.set(true));
        Some(Self { ends: true })
    }

    /// The opening under way, if any, ended when the page arrives or the router gives it
    /// up (someone went elsewhere first).
    fn resume() -> Option<Self> {
        OPENING
            .with(ArcRwSignal::get_untracked)
            .then_some(Self { ends: true })
    }

    /// The code has come: the page's view, asked for next, ends the opening.
    fn hand_over(mut self) {
        self.ends = false;
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        if self.ends {
            OPENING.with(|opening| opening.set(false));
        }
    }
}

/// Resolves once the app's first paint is on screen: the browser has reported its first
/// contentful paint (the shell and the loading page, drawn in one frame when the app
/// opens). A frame's callback is not proof: the paint of the frame before can still be
/// on its way to the screen. Waits at most [`PAINT_FRAMES`] frames (a browser that does
/// not report paints).
async fn painted() {
    for _ in 0..PAINT_FRAMES {
        let reported = window().performance().is_none_or(|timing| {
            timing
                .get_entries_by_name("first-contentful-paint")
                .length()
                > 0
        });
        if reported {
            return;
        }
        let (done, frame) = futures::channel::oneshot::channel();
        request_animation_frame(move || {
            let _ = done.send(());
        });
        let _ = frame.await;
    }
}

/// How many frames [`painted`] waits for the first paint at most: half a second at 60 Hz.
const PAINT_FRAMES: usize = 30;

/// The page, or what to do when its code could not be fetched.
fn loaded(view: Result<AnyView, SplitLoaderError>) -> AnyView {
    view.unwrap_or_else(|_| view! { <NewVersion /> }.into_any())
}

// agents: the computers and the alerts about them (an alert links to its computers).
section!(alerts in agents => view! { <Gate><Alerts /></Gate> });
section!(agents in agents => view! { <Gate needs=Action::ReadAgents own=true><Agents /></Gate> });
// activity: what people did, read together by managers.
section!(sessions in activity => view! {
    <Gate needs=Action::ReadActivity own=true><Sessions /></Gate>
});
section!(screenshots in activity => view! {
    <Gate needs=Action::ReadActivity own=true><Screenshots /></Gate>
});
section!(reports in activity => view! {
    <Gate needs=Action::ReadActivity own=true><Reports /></Gate>
});
// people: the company's people and teams, and one's own account.
section!(people in people => view! { <Gate needs=Action::ReadPeople><People /></Gate> });
section!(teams in people => view! { <Gate needs=Action::ReadTeams><Teams /></Gate> });
// settings: how the company's Pulse works, set up by owners and admins.
section!(policies in settings => view! { <Gate needs=Action::ManagePolicies><Policies /></Gate> });
// Owners and admins edit the rules; managers read those of their teams.
section!(categories in settings => view! {
    <Gate needs=Action::ReadCategoryRules><Categories /></Gate>
});
section!(api_keys in settings => view! { <Gate needs=Action::ManageApiKeys><ApiKeys /></Gate> });
section!(webhooks in settings => view! {
    <Gate needs=Action::ManageWebhooks><Webhooks /></Gate>
});
section!(audit in settings => view! { <Gate needs=Action::ReadAudit><Audit /></Gate> });
section!(billing in billing => view! { <Gate needs=Action::ManageBilling><Billing /></Gate> });
section!(invoices in billing => view! {
    <Gate needs=Action::ManageBilling><PaymentHistory /></Gate>
});
section!(invoice in billing => view! {
    <Gate needs=Action::ManageBilling><BillingInvoice /></Gate>
});
section!(account in people => view! { <Gate><Account /></Gate> });
// visitors: the pages one opens without being signed in, rarely and once (signing up,
// confirming an address, joining by invitation, a new password), and System status.
section!(status in visitors => view! { <Status /> });
section!(signup in visitors => view! { <Signup /> });
section!(verify in visitors => view! { <VerifySignup /> });
section!(join in visitors => view! { <Join /> });
section!(forgot in visitors => view! { <ForgotPassword /> });
section!(reset in visitors => view! { <ResetPassword /> });
