//! Form state shared by the pages: per-field errors (from the shared validators before
//! sending, and from a 422 problem after), the message above the form, and
//! [`submission`], the one way a form sends itself ([`task`] is a button's).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;
use pulse_shared::validate::Invalid;

use crate::api::ApiError;

/// The errors of one form, keyed by the JSON field name (`email`, `new_password`, …).
#[derive(Debug, Clone, Copy)]
pub struct FormErrors {
    fields: RwSignal<Vec<(String, String)>>,
    /// What went wrong that no field shows.
    general: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self {
            fields: RwSignal::new(Vec::new()),
            general: RwSignal::new(None),
        }
    }

    /// The error of `field`, tracked, for a [`FormField`](crate::components::FormField).
    pub fn of(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.fields.with(|fields| {
                fields
                    .iter()
                    .find(|(name, _)| name == field)
                    .map(|(_, message)| message.clone())
            })
        })
    }

    /// The message above the form, tracked.
    pub fn general(self) -> Signal<Option<String>> {
        self.general.into()
    }

    /// Forgets every error (before a new attempt).
    pub fn clear(self) {
        self.fields.set(Vec::new());
        self.general.set(None);
    }

    /// Records the outcome of a shared validator for `field`; returns whether it passed.
    pub fn check(self, field: &'static str, outcome: Result<(), Invalid>) -> bool {
        match outcome {
            Ok(()) => true,
            Err((_, message)) => {
                self.set(field, message);
                false
            }
        }
    }

    /// Shows `message` under `field`.
    pub fn set(self, field: &str, message: impl Into<String>) {
        let message = message.into();
        self.fields.update(|fields| {
            fields.retain(|(name, _)| name != field);
            fields.push((field.to_owned(), message));
        });
    }

    /// Hides the error of `field`.
    pub fn forget(self, field: &str) {
        self.fields
            .update(|fields| fields.retain(|(name, _)| name != field));
    }

    /// Shows `message` above the form.
    pub fn set_general(self, message: impl Into<String>) {
        self.general.set(Some(message.into()));
    }

    /// Shows a failed request: each field error of a validation problem under its field
    /// when the form has it (`/email` → `email`, listed in `fields`), the rest above the form.
    pub fn show(self, error: &ApiError, fields: &[&str]) {
        let mut unplaced = Vec::new();
        for field_error in error.field_errors() {
            let name = field_error.field.trim_start_matches('/');
            if fields.contains(&name) {
                self.set(name, field_error.message.clone());
            } else {
                unplaced.push(format!("{name}: {}", field_error.message));
            }
        }
        let mut message = if error.field_errors().is_empty() {
            error.to_string()
        } else {
            error.summary()
        };
        for line in unplaced {
            message.push('\n');
            message.push_str(&line);
        }
        self.set_general(message);
    }
}

/// A form's submission as [`Work`]: dispatching it sends the input with `call`; an
/// answer goes to `done`, a failure to `errors` (each field error under its field when it
/// is one of `fields`, the rest above the form). Its `pending()` is the form's busy
/// state: the submit button spins and the form refuses a second submission meanwhile.
pub fn submission<I, T, Fut>(
    errors: FormErrors,
    fields: &'static [&'static str],
    call: impl Fn(I) -> Fut + 'static,
    done: impl Fn(T) + 'static,
) -> Work<I>
where
    I: 'static,
    T: 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let done = Rc::new(done);
    Work::new(move |input: I| {
        let answer = call(input);
        let done = Rc::clone(&done);
        async move {
            match answer.await {
                Ok(value) => done(value),
                Err(error) => errors.show(&error, fields),
            }
        }
    })
}

/// A button's work, as [`submission`] is a form's: dispatching it runs `run` with the
/// input; its `pending()` is the busy state the button spins with. The outcome (a toast,
/// a refreshed list) is `run`'s to show.
pub fn task<I, Fut>(run: impl Fn(I) -> Fut + 'static) -> Work<I>
where
    I: 'static,
    Fut: Future<Output = ()> + 'static,
{
    Work::new(run)
}

/// Work a form or a button starts: [`dispatch_local`](Self::dispatch_local) runs it with
/// an input, [`pending`](Self::pending) is true until every run has finished.
///
/// A Leptos [`Action`] underneath, but one action type for the whole app: an `Action` is
/// compiled once per closure that creates it, so each holds a [`Job`] (the run, boxed)
/// instead of the page's input. Rationale for `new_local`: the futures of the API calls
/// are not `Send` (they hold browser objects).
pub struct Work<I: 'static> {
    action: Action<Job, ()>,
    run: StoredValue<Rc<dyn Fn(I) -> BoxedRun>, LocalStorage>,
}

impl<I> Clone for Work<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I> Copy for Work<I> {}

impl<I: 'static> Work<I> {
    /// Work that runs `run` with each input it is given.
    pub fn new<Fut>(run: impl Fn(I) -> Fut + 'static) -> Self
    where
        Fut: Future<Output = ()> + 'static,
    {
        Self {
            action: job_action(),
            run: StoredValue::new_local(Rc::new(move |input| Box::pin(run(input)) as BoxedRun)),
        }
    }

    /// Runs the work with `input`.
    pub fn dispatch_local(&self, input: I) {
        let Some(run) = self.run.try_get_value() else {
            return;
        };
        let start: Start = Box::new(move || run(input));
        let job = Job(Rc::new(Cell::new(Some(start))));
        self.action.dispatch_local(job);
    }

    /// Whether a run is under way, tracked.
    pub fn pending(&self) -> Memo<bool> {
        self.action.pending()
    }
}

/// One run of some [`Work`], under way.
type BoxedRun = Pin<Box<dyn Future<Output = ()>>>;
/// What starts a run.
type Start = Box<dyn FnOnce() -> BoxedRun>;

/// A run handed to the one action type: started once, by the action.
#[derive(Clone)]
struct Job(Rc<Cell<Option<Start>>>);

/// The action every [`Work`] is.
fn job_action() -> Action<Job, ()> {
    Action::new_local(|job: &Job| {
        let run = job.0.take().map(|start| start());
        async move {
            if let Some(run) = run {
                run.await;
            }
        }
    })
}

impl Default for FormErrors {
    fn default() -> Self {
        Self::new()
    }
}
