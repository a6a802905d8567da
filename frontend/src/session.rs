//! The signed-in person: the access token (in memory only, never in storage) and who
//! they are, shared with every page through context. `api.rs` renews it; the route
//! guards in `app.rs` read it.

use leptos::prelude::*;
use pulse_shared::access::{Action, Reach, access};
use pulse_shared::auth::{MeResponse, SessionResponse};
use pulse_shared::people::Role;

/// Where the app stands with the person using it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// The app just started and asks the server whether the refresh cookie still holds.
    Restoring,
    /// Nobody is signed in (or the sign-in expired).
    SignedOut,
    /// Someone is signed in.
    SignedIn(Box<SignedIn>),
}

/// A live sign-in.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    /// Sent as `Authorization: Bearer`; kept in memory only so scripts cannot find it
    /// in storage.
    pub token: String,
    pub me: MeResponse,
}

/// Just the phase of [`AuthState`], cheap to compare in memos so that pages are not
/// rebuilt each time the token is renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Restoring,
    SignedOut,
    SignedIn,
}

/// The handle pages use; cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
    /// Set when the server ended the sign-in (not when the person signed out).
    expired: RwSignal<bool>,
}

impl Session {
    fn new() -> Self {
        Self {
            state: RwSignal::new(AuthState::Restoring),
            expired: RwSignal::new(false),
        }
    }

    /// The phase, tracked.
    pub fn phase(self) -> Phase {
        self.state.with(|state| match state {
            AuthState::Restoring => Phase::Restoring,
            AuthState::SignedOut => Phase::SignedOut,
            AuthState::SignedIn(_) => Phase::SignedIn,
        })
    }

    /// The signed-in person and company, tracked.
    pub fn me(self) -> Option<MeResponse> {
        self.state.with(|state| match state {
            AuthState::SignedIn(signed_in) => Some(signed_in.me.clone()),
            _ => None,
        })
    }

    /// The signed-in person's role, tracked.
    pub fn role(self) -> Option<Role> {
        self.state.with(|state| match state {
            AuthState::SignedIn(signed_in) => Some(signed_in.me.user.role),
            _ => None,
        })
    }

    /// How far the signed-in person may do `action`, tracked ([`Reach::None`] when
    /// signed out).
    pub fn reach(self, action: Action) -> Reach {
        self.role().map_or(Reach::None, |role| access(role, action))
    }

    /// Whether the signed-in person may do `action` for more people than themself.
    pub fn reaches_others(self, action: Action) -> bool {
        self.reach(action) >= Reach::Teams
    }

    /// Whether the signed-in person may do `action` at all.
    pub fn may(self, action: Action) -> bool {
        self.reach(action) != Reach::None
    }

    /// The access token, untracked (for requests).
    pub fn token_untracked(self) -> Option<String> {
        self.state.with_untracked(|state| match state {
            AuthState::SignedIn(signed_in) => Some(signed_in.token.clone()),
            _ => None,
        })
    }

    /// Whether the last sign-in ended because the server said so; read once by the
    /// sign-in page to explain why it is shown.
    pub fn take_expired(self) -> bool {
        let expired = self.expired.get_untracked();
        self.expired.set(false);
        expired
    }

    /// Stores a new session (use [`crate::api::start_session`], which also plans renewal).
    pub(crate) fn set(self, response: SessionResponse) {
        self.expired.set(false);
        self.state.set(AuthState::SignedIn(Box::new(SignedIn {
            token: response.access_token,
            me: response.me,
        })));
    }

    /// Updates who the person is (e.g. after `GET /me`), keeping the token.
    pub fn update_me(self, me: MeResponse) {
        self.state.update(|state| {
            if let AuthState::SignedIn(signed_in) = state {
                signed_in.me = me;
            }
        });
    }

    /// Forgets the session: the person signed out, or there was none to restore.
    pub(crate) fn clear(self) {
        self.state.set(AuthState::SignedOut);
    }

    /// Forgets the session because the server no longer accepts it.
    pub(crate) fn expire(self) {
        let was_signed_in = self.phase_untracked() == Phase::SignedIn;
        self.state.set(AuthState::SignedOut);
        if was_signed_in {
            self.expired.set(true);
        }
    }

    /// The phase, untracked.
    pub fn phase_untracked(self) -> Phase {
        untrack(|| self.phase())
    }
}

/// Creates the session, provides it to the children and restores it from the refresh
/// cookie (at once when `boot.js` has the answer, else in the background).
#[component]
pub fn SessionProvider(children: Children) -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    crate::api::restore_session(session);
    children()
}

/// The session of the nearest [`SessionProvider`].
///
/// Calling it outside a provider is a wiring mistake in `app.rs`, caught on first render.
pub fn use_session() -> Session {
    expect_context::<Session>()
}
