//! The signed-in person's other tabs: marking alerts read in one tab reaches the others
//! at once over a `BroadcastChannel` named for the person.
//!
//! Rationale: the alert stream carries new alerts only, not read state, and a channel
//! between the tabs of one browser needs no server round trip. Naming it for the person
//! keeps a tab signed in as someone else (after a sign-out and in) out of it.

use chrono::{DateTime, Utc};
use pulse_shared::ids::{AlertId, UserId};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;

use super::stream::Handler;

/// What a tab tells the person's other tabs after the server took a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Told {
    /// One alert was marked read (`read_at` is when) or unread (`None`), which moved the
    /// unread count by `step` (-1, 0 or 1).
    Marked {
        id: AlertId,
        read_at: Option<DateTime<Utc>>,
        step: i64,
    },
    /// Every alert was marked read; `marked` of them were unread.
    AllRead { at: DateTime<Utc>, marked: i64 },
}

/// The channel of one person's tabs and its listener; closed when dropped.
pub(super) struct Tabs {
    channel: web_sys::BroadcastChannel,
    _on_message: Handler,
}

impl Tabs {
    /// Joins `person`'s channel; `on_told` gets what the other tabs tell. `None` where
    /// the browser has no `BroadcastChannel`: each tab then keeps its own count.
    pub(super) fn join(person: UserId, mut on_told: impl FnMut(Told) + 'static) -> Option<Self> {
        let channel = web_sys::BroadcastChannel::new(&channel_name(person)).ok()?;
        let on_message = Handler::new(move |event: web_sys::Event| {
            let told = event
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|message| message.data().as_string())
                .and_then(|data| serde_json::from_str::<Told>(&data).ok());
            // A message this version cannot read (a tab on a newer deploy) is left alone.
            if let Some(told) = told {
                on_told(told);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs (not this one).
    pub(super) fn tell(&self, told: &Told) {
        if let Ok(json) = serde_json::to_string(told) {
            let _ = self.channel.post_message(&json.into());
        }
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// One channel per person.
fn channel_name(person: UserId) -> String {
    format!("pulse-alerts-{person}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_tabs_tell_reads_back_the_same() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let id: AlertId = "00000000-0000-7000-8000-000000000001"
            .parse()
            .expect("an id");
        for told in [
            Told::Marked {
                id,
                read_at: Some(at),
                step: -1,
            },
            Told::Marked {
                id,
                read_at: None,
                step: 1,
            },
            Told::AllRead { at, marked: 3 },
        ] {
            let json = serde_json::to_string(&told).expect("serialises");
            assert_eq!(serde_json::from_str::<Told>(&json).ok(), Some(told));
        }
    }
}
