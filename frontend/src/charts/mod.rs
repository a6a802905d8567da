//! Charts drawn as inline SVG by Leptos components, without a chart library. Each has a
//! title, axis labels, an accessible name (`aria-label` and `<title>`), a legend and a
//! tooltip per mark; the reports page shows the same data as a table beside it.
//!
//! A chart is laid out for the width its container has (measured, and measured again
//! when it changes), one SVG unit per CSS pixel, and scales with `viewBox` and
//! `width: 100%` from there (printing, zoom). Rationale: a drawing made for a wide
//! screen and shrunk onto a 390 px phone shrinks its text below reading size.

mod day_timeline;
mod heatmap;
mod stacked_bars;
mod top_apps;

pub use day_timeline::DayTimeline;
pub use heatmap::Heatmap;
pub use stacked_bars::StackedBars;
pub use top_apps::TopApps;

use crate::reactive::effect;
use leptos::html;
use leptos::prelude::*;
use pulse_shared::reports::{Figures, Productivity};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The width a chart is laid out for until its container has been measured.
const DEFAULT_WIDTH: f64 = 640.0;
/// The narrowest layout: what is left of a 360 px phone.
const MIN_WIDTH: f64 = 280.0;
/// Roughly how wide a character of chart text (12 px) is, for fitting labels.
const CHAR_WIDTH: f64 = 6.8;
/// Where a tick label sits below its line or axis.
const TICK_GAP: f64 = 16.0;

/// A share of time a chart colours; its class (`.chart-<part>`) colours both the marks
/// and the legend's swatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Productive,
    Neutral,
    Unproductive,
    Idle,
}

impl Part {
    /// Active time by classification, as stacked.
    pub const ACTIVE: &'static [Part] = &[Part::Productive, Part::Neutral, Part::Unproductive];
    /// Active time by classification, then idle time.
    pub const WORKED: &'static [Part] = &[
        Part::Productive,
        Part::Neutral,
        Part::Unproductive,
        Part::Idle,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Part::Productive => "Productive",
            Part::Neutral => "Neutral",
            Part::Unproductive => "Unproductive",
            Part::Idle => "Idle",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Part::Productive => "chart-productive",
            Part::Neutral => "chart-neutral",
            Part::Unproductive => "chart-unproductive",
            Part::Idle => "chart-idle",
        }
    }

    /// This part of `figures`, in seconds.
    pub fn secs(self, figures: &Figures) -> i64 {
        match self {
            Part::Productive => figures.productive_secs,
            Part::Neutral => figures.neutral_secs,
            Part::Unproductive => figures.unproductive_secs,
            Part::Idle => figures.idle_secs,
        }
    }
}

impl From<Productivity> for Part {
    fn from(productivity: Productivity) -> Self {
        match productivity {
            Productivity::Productive => Part::Productive,
            Productivity::Neutral => Part::Neutral,
            Productivity::Unproductive => Part::Unproductive,
        }
    }
}

/// One stacked piece: which part, where it starts and how long it is, in seconds.
pub type Piece = (Part, i64, i64);

/// `parts` of `figures` stacked one after the other, empty ones left out.
pub fn stack(figures: &Figures, parts: &[Part]) -> Vec<Piece> {
    let mut start = 0;
    parts
        .iter()
        .filter_map(|part| {
            let length = part.secs(figures).max(0);
            let piece = (*part, start, length);
            start += length;
            (length > 0).then_some(piece)
        })
        .collect()
}

/// "Productive 2 h 05 min, Neutral 10 min": the pieces in words, for tooltips.
pub fn pieces_text(pieces: &[Piece]) -> String {
    if pieces.is_empty() {
        return "nothing recorded".to_owned();
    }
    pieces
        .iter()
        .map(|(part, _, length)| {
            format!("{} {}", part.label(), crate::format::hours_minutes(*length))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Steps an axis of time may take, in seconds: round numbers of minutes, then hours.
const STEPS: &[i64] = &[
    60,
    5 * 60,
    10 * 60,
    15 * 60,
    30 * 60,
    3_600,
    2 * 3_600,
    3 * 3_600,
    4 * 3_600,
    6 * 3_600,
    8 * 3_600,
    12 * 3_600,
    20 * 3_600,
    50 * 3_600,
    100 * 3_600,
    200 * 3_600,
    500 * 3_600,
    1_000 * 3_600,
    2_000 * 3_600,
    5_000 * 3_600,
    10_000 * 3_600,
];

/// An axis of time from 0 to `top` seconds, marked every `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    pub step: i64,
    pub top: i64,
}

impl Axis {
    /// The axis for values up to `max` with at most `ticks` steps: the smallest round
    /// step that fits, and the first multiple of it at or above `max`.
    pub fn new(max: i64, ticks: i64) -> Self {
        let (max, ticks) = (max.max(1), ticks.max(1));
        let step = STEPS
            .iter()
            .copied()
            .find(|step| ceil_div(max, *step) <= ticks)
            .unwrap_or_else(|| ceil_div(max, ticks));
        Self {
            step,
            top: ceil_div(max, step) * step,
        }
    }

    /// The marks from 0 to the top.
    pub fn ticks(self) -> impl Iterator<Item = i64> {
        (0..=self.top / self.step).map(move |index| index * self.step)
    }

    /// Where `value` sits on the axis, 0 to 1.
    pub fn share(self, value: i64) -> f64 {
        (value.clamp(0, self.top) as f64) / (self.top as f64)
    }
}

/// `a / b` rounded up, for `a` ≥ 0 and `b` > 0 (`i64::div_ceil` is not stable yet).
pub fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// A horizontal grid line at `y` from `left` to `right`, labelled with `secs` at its
/// left end.
pub fn grid_line(y: f64, (left, right): (f64, f64), secs: i64) -> impl IntoView {
    view! {
        <line class="chart-grid" x1=px(left) x2=px(right) y1=px(y) y2=px(y) />
        <text class="chart-tick" x=px(left - 6.0) y=px(y + 4.0) text-anchor="end">
            {tick_label(secs)}
        </text>
    }
}

/// A tick's text: `0`, `15 min`, `2 h` (steps are round minutes or hours).
pub fn tick_label(secs: i64) -> String {
    match secs {
        0 => "0".to_owned(),
        s if s % 3_600 == 0 => format!("{} h", s / 3_600),
        s => format!("{} min", s / 60),
    }
}

/// `text` cut to about `width` pixels, with an ellipsis when cut.
pub fn fit(text: &str, width: f64) -> String {
    let room = (width / CHAR_WIDTH).floor().max(1.0) as usize;
    if text.chars().count() <= room {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(room.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// About how wide `text` is drawn, in pixels.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// A coordinate as the SVG gets it, to a tenth of a pixel (enough, and a smaller DOM):
/// `12.3`, `-4`. Every number a chart draws goes through here: an `f64` attribute would
/// bring the float printer into the WASM (see [`crate::format::fixed`]).
pub fn px(value: f64) -> String {
    let text = crate::format::fixed(value, 1);
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// A chart's figure: its title, the drawing made by `draw` for the measured width, and
/// the legend (the children).
#[component]
pub fn ChartFrame<D, V>(
    /// The chart's heading.
    #[prop(into)]
    title: String,
    /// The `<svg>` for a width in CSS pixels (see [`svg`]).
    draw: D,
    /// The legend.
    children: Children,
) -> impl IntoView
where
    D: Fn(f64) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let node = NodeRef::<html::Div>::new();
    let width = measured_width(node);
    view! {
        <figure class="chart">
            <figcaption class="chart-title">{title}</figcaption>
            <div class="chart-canvas" node_ref=node>
                {move || draw(width.get())}
            </div>
            <div class="chart-legend">{children()}</div>
        </figure>
    }
}

/// The `<svg>` of a chart `width` × `height` units, scaled to its container, named by
/// `label` for screen readers and as a tooltip of the whole.
pub fn svg(width: f64, height: f64, label: String, body: impl IntoView) -> impl IntoView {
    let name = label.clone();
    view! {
        <svg
            class="chart-svg"
            viewBox=format!("0 0 {} {}", px(width), px(height))
            preserveAspectRatio="xMinYMin meet"
            role="img"
            aria-label=name
        >
            {tooltip(label)}
            {body}
        </svg>
    }
}

/// An SVG `<title>`: the tooltip of a mark, or the accessible name of a chart.
///
/// Rationale: built by hand because the `view!` macro of Leptos 0.8 makes an HTML
/// `<title>` even inside `<svg>`, which browsers then ignore.
pub fn tooltip(text: String) -> impl IntoView {
    leptos::tachys::svg::title().child(text)
}

/// The legend of `parts`: a swatch and a name each.
#[component]
pub fn PartLegend(parts: &'static [Part]) -> impl IntoView {
    parts
        .iter()
        .map(|part| {
            view! {
                <span class="legend-item">
                    <span class=format!("legend-swatch {}", part.class())></span>
                    {part.label()}
                </span>
            }
        })
        .collect_view()
}

/// The width of `node` in CSS pixels, followed as it changes (a `ResizeObserver`): the
/// window, the sidebar, or the chart being shown after the table was.
fn measured_width(node: NodeRef<html::Div>) -> ReadSignal<f64> {
    let width = RwSignal::new(DEFAULT_WIDTH);
    let measure = move |element: &web_sys::Element| {
        let measured = f64::from(element.client_width());
        // Hidden (the table is shown instead): keep the last layout.
        if measured > 0.0 {
            let measured = measured.max(MIN_WIDTH);
            if (measured - width.get_untracked()).abs() >= 1.0 {
                width.set(measured);
            }
        }
    };
    type Watch = (
        web_sys::ResizeObserver,
        Closure<dyn FnMut(js_sys::Array, web_sys::ResizeObserver)>,
    );
    let watch = StoredValue::new_local(None::<Watch>);
    // Measured by the observer only, whose first report comes once the page is laid
    // out (before it is painted): reading the width while the page is still being built
    // forced the browser to lay it all out an extra time, mid-render.
    effect(move |_| {
        let Some(element) = node.get() else {
            return;
        };
        if watch.with_value(Option::is_some) {
            return;
        }
        let watched = element.clone();
        let handler = Closure::<dyn FnMut(js_sys::Array, web_sys::ResizeObserver)>::new(
            move |_: js_sys::Array, _: web_sys::ResizeObserver| measure(&watched),
        );
        if let Ok(observer) = web_sys::ResizeObserver::new(handler.as_ref().unchecked_ref()) {
            observer.observe(&element);
            watch.set_value(Some((observer, handler)));
        }
    });
    on_cleanup(move || {
        watch.with_value(|watch| {
            if let Some((observer, _)) = watch {
                observer.disconnect();
            }
        });
    });
    width.read_only()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_written_to_a_tenth_of_a_pixel() {
        let written = [12.34, 12.36, 7.0, 0.04, -0.04, -4.25, -12.0, 640.0]
            .map(px)
            .join(" ");
        assert_eq!(written, "12.3 12.4 7 0 0 -4.3 -12 640");
    }

    #[test]
    fn axes_take_round_steps_and_reach_the_largest_value() {
        let cases = [
            (0, 5, 60, 60),
            (59, 5, 60, 60),
            (25 * 60, 5, 5 * 60, 25 * 60),
            (7 * 3_600 + 5 * 60, 5, 2 * 3_600, 8 * 3_600),
            (3_600, 4, 15 * 60, 3_600),
            (41 * 3_600, 5, 12 * 3_600, 48 * 3_600),
            (900 * 3_600, 3, 500 * 3_600, 1_000 * 3_600),
        ];
        for (max, ticks, step, top) in cases {
            assert_eq!(
                Axis::new(max, ticks),
                Axis { step, top },
                "{max} s in {ticks}"
            );
        }
        let axis = Axis::new(7 * 3_600, 4);
        assert_eq!(
            axis.ticks().map(tick_label).collect::<Vec<_>>(),
            ["0", "2 h", "4 h", "6 h", "8 h"]
        );
        assert_eq!(axis.share(2 * 3_600), 0.25);
        assert_eq!(axis.share(-5), 0.0);
        assert_eq!(axis.share(99 * 3_600), 1.0);
        assert_eq!(tick_label(30 * 60), "30 min");
    }

    #[test]
    fn parts_stack_in_order_without_empty_ones() {
        let figures = Figures {
            productive_secs: 100,
            neutral_secs: 0,
            unproductive_secs: 50,
            idle_secs: 20,
            ..Figures::default()
        };
        assert_eq!(
            stack(&figures, Part::WORKED),
            [
                (Part::Productive, 0, 100),
                (Part::Unproductive, 100, 50),
                (Part::Idle, 150, 20)
            ]
        );
        assert_eq!(stack(&Figures::default(), Part::ACTIVE), []);
        assert_eq!(pieces_text(&[]), "nothing recorded");
        assert_eq!(
            pieces_text(&[(Part::Productive, 0, 3_900)]),
            "Productive 1 h 05 min"
        );
    }

    #[test]
    fn labels_are_cut_to_fit() {
        assert_eq!(fit("firefox", 100.0), "firefox");
        assert_eq!(fit("firefox · github.com", 68.0), "firefox ·…");
        assert_eq!(fit("abc", 1.0), "…");
    }
}
