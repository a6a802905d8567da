//! The person and day the Sessions and Screenshots pages show, kept in the URL
//! (`?user=&day=`), and the page header that chooses them.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use pulse_shared::access::Action;
use pulse_shared::ids::UserId;
use pulse_shared::people::Person;

use crate::api;
use crate::components::{DayPicker, SelectField, SelectOption};
use crate::days;
use crate::reactive::{effect, memo};
use crate::session::use_session;

/// The chosen person and day, and what the chooser needs.
#[derive(Clone, Copy)]
pub(super) struct PersonDay {
    /// Whether the signed-in person may see others' activity (and so choose a person).
    pub sees_others: Memo<bool>,
    /// The chosen person's id as in the `<select>`; empty for the signed-in person.
    pub person: RwSignal<String>,
    pub day: RwSignal<NaiveDate>,
    /// The chosen person, `None` for the signed-in person.
    pub chosen: Memo<Option<UserId>>,
    /// The chosen person's name.
    pub name: Memo<String>,
    /// Everyone the signed-in person may choose (none when only themselves).
    pub people: Signal<Vec<Person>>,
    options: Signal<Vec<SelectOption>>,
}

impl PersonDay {
    /// Reads the person and day from the URL and loads the people to choose from.
    pub fn new() -> Self {
        let session = use_session();
        let sees_others = memo(move || session.reaches_others(Action::ReadActivity));
        let (person, day) = person_and_day();
        let loaded = api::Loaded::new(move || async move {
            if sees_others.get() {
                api::everyone(session).await
            } else {
                Ok(Vec::new())
            }
        });
        let people = Signal::derive(move || loaded.get().and_then(Result::ok).unwrap_or_default());
        let me = memo(move || session.me().map(|me| me.user));
        let options = Signal::derive(move || person_options(&people.get(), me.get().as_ref()));
        let chosen: Memo<Option<UserId>> = memo(move || person.get().parse().ok());
        let name = memo(move || match chosen.get() {
            None => me.get().map(|me| me.name).unwrap_or_default(),
            Some(id) => people.with(|people| {
                people
                    .iter()
                    .find(|person| person.id == id)
                    .map(|person| person.name.clone())
                    .unwrap_or_default()
            }),
        });
        Self {
            sees_others,
            person,
            day,
            chosen,
            name,
            people,
            options,
        }
    }

    /// The name of the browser's time zone on the chosen day.
    pub fn zone(self) -> String {
        days::zone_name(days::offset_at(days::start(self.day.get())))
    }
}

/// The top of a page about a person's day: its title, a lede that ends naming the time
/// zone of the times shown, then the person `<select>` (for those who see others) and
/// the day picker.
#[component]
pub(super) fn PersonDayHeader(
    chooser: PersonDay,
    /// The page's `<h1>`.
    title: &'static str,
    /// What the page shows, in a sentence.
    lede: &'static str,
    /// The toolbar's `data-testid`.
    testid: &'static str,
    /// The person `<select>`'s id.
    person_id: &'static str,
    /// The day input's id.
    day_id: &'static str,
) -> impl IntoView {
    view! {
        <header class="page-header">
            <div>
                <h1 class="page-title">{title}</h1>
                <p class="page-lede">
                    {lede} " Times are in your time zone (" {move || chooser.zone()} ")."
                </p>
            </div>
        </header>
        <div class="day-toolbar" data-testid=testid>
            <Show when=move || chooser.sees_others.get()>
                <SelectField
                    id=person_id
                    name="person"
                    label="Employee"
                    value=chooser.person
                    options=chooser.options
                />
            </Show>
            <DayPicker id=day_id day=chooser.day />
        </div>
    }
}

/// The person and day a Sessions or Screenshots page shows: read from `?user=&day=`
/// when the page opens and kept there, so that a reload or a shared link shows the same
/// day. An empty person is the signed-in person.
fn person_and_day() -> (RwSignal<String>, RwSignal<NaiveDate>) {
    let query = use_query_map();
    let (user, day) = query.with_untracked(|query| {
        let user = query
            .get("user")
            .filter(|user| user.parse::<UserId>().is_ok())
            .unwrap_or_default();
        let day = query
            .get("day")
            .and_then(|day| days::parse_input(&day))
            .unwrap_or_else(days::today)
            .min(days::today());
        (user, day)
    });
    let user = RwSignal::new(user);
    let day = RwSignal::new(day);
    let navigate = use_navigate();
    let pathname = use_location().pathname;
    effect(move |first| {
        let (user, day) = (user.get(), day.get());
        if first {
            return;
        }
        let mut path = format!(
            "{}?day={}",
            pathname.get_untracked(),
            days::input_value(day)
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
fn person_options(people: &[Person], me: Option<&Person>) -> Vec<SelectOption> {
    let mut others: Vec<&Person> = people
        .iter()
        .filter(|person| Some(person.id) != me.map(|me| me.id))
        .collect();
    crate::sort::by_key(&mut others, |person| person.name.to_lowercase());
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
