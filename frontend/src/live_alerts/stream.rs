//! The `EventSource` of one connection with its listeners (closed and forgotten
//! together), and the backoff between reconnects.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::{FIRST_RETRY, LAST_RETRY};

/// The wait before reconnect attempt `failures` (0 after a stream that had opened): 1 s
/// doubling to 30 s, each drawn between half and all of that with `random` in `0..1`, so
/// that tabs which lost the server together do not all come back at the same moment.
pub fn backoff(failures: u32, random: f64) -> Duration {
    let ceiling = FIRST_RETRY
        .saturating_mul(2_u32.saturating_pow(failures.min(16)))
        .min(LAST_RETRY);
    ceiling.mul_f64(0.5 + 0.5 * random.clamp(0.0, 1.0))
}

/// An event handler handed to the browser.
pub(super) type Handler = Closure<dyn FnMut(web_sys::Event)>;

/// Calls `handler` for each `event` of `source`; the handler works while the returned
/// closure lives.
pub(super) fn listen_to(
    source: &web_sys::EventSource,
    event: &str,
    handler: impl FnMut(web_sys::Event) + 'static,
) -> Handler {
    let closure = Handler::new(handler);
    let _ = source.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure
}

/// The stream and what it needs to resume.
#[derive(Default)]
pub(super) struct Stream {
    /// Which start this is: every start and stop bumps it, and tasks, timers and event
    /// handlers of an earlier one find it changed and do nothing.
    pub(super) run: u64,
    pub(super) source: Option<web_sys::EventSource>,
    /// The event handlers of `source`; they must live as long as it may call them.
    pub(super) handlers: Vec<Handler>,
    /// The planned reconnect, cancelled by a stop.
    pub(super) retry: Option<TimeoutHandle>,
    /// Failed connections in a row, for the backoff.
    pub(super) failures: u32,
    /// The `seq` of the newest alert seen, to resume after (and to drop repeats).
    pub(super) last_seq: Option<i64>,
}

impl Stream {
    /// Closes the stream and forgets its handlers and planned reconnect.
    pub(super) fn close(&mut self) {
        if let Some(source) = self.source.take() {
            source.close();
        }
        self.handlers.clear();
        if let Some(retry) = self.retry.take() {
            retry.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_thirty_seconds_with_jitter() {
        let cases = [
            (0, 1.0, 1_000),
            (0, 0.0, 500),
            (1, 1.0, 2_000),
            (3, 1.0, 8_000),
            (4, 1.0, 16_000),
            (5, 1.0, 30_000),
            (5, 0.0, 15_000),
            (40, 0.5, 22_500),
            (u32::MAX, 2.0, 30_000),
        ];
        for (failures, random, millis) in cases {
            assert_eq!(
                backoff(failures, random),
                Duration::from_millis(millis),
                "{failures} failures, random {random}"
            );
        }
    }
}
