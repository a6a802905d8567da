//! What the pages opened from an e-mailed link share (`/verify#…`, `/reset#…`,
//! `/join#…`): the link's secret, and the submission that signs in and leaves the page.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use pulse_shared::auth::SessionResponse;

use crate::api::{self, ApiError};
use crate::components::use_toasts;
use crate::forms::{FormErrors, Work};
use crate::session::use_session;

/// The secret of an e-mailed link, from the URL fragment so it never reaches server
/// logs or the `Referer` header; an empty one is said in `errors`.
pub(super) fn link_secret(errors: FormErrors) -> StoredValue<String> {
    let secret = crate::browser::location_hash();
    if secret.is_empty() {
        errors.set_general("This link is incomplete. Open the whole link from the e-mail.");
    }
    StoredValue::new(secret)
}

/// The submission of a link page's form: `call` sends the input; its session signs in,
/// a toast says `welcome` of it, and the page is left for the overview, replaced in the
/// history so the link's secret leaves the address bar too. Given `spent`, a 404 is an
/// answer of its own, the link is spent: `spent` says so above the form. Failures show as in
/// [`crate::forms::submission`], under the `fields` they name.
pub(super) fn link_submission<I, Fut>(
    errors: FormErrors,
    fields: &'static [&'static str],
    spent: Option<&'static str>,
    call: impl Fn(I) -> Fut + 'static,
    welcome: impl Fn(&SessionResponse) -> String + 'static,
) -> Work<I>
where
    I: 'static,
    Fut: Future<Output = Result<SessionResponse, ApiError>> + 'static,
{
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let welcome = std::rc::Rc::new(welcome);
    Work::new(move |input: I| {
        let answer = call(input);
        let navigate = navigate.clone();
        let welcome = std::rc::Rc::clone(&welcome);
        async move {
            match answer.await {
                Ok(response) => {
                    let message = welcome(&response);
                    api::start_session(session, response);
                    toasts.success(message);
                    navigate(
                        "/",
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
                Err(error) => match spent {
                    Some(spent) if error.status() == Some(404) => errors.set_general(spent),
                    _ => errors.show(&error, fields),
                },
            }
        }
    })
}
