//! The colour theme: light, dark or the system's, remembered in `localStorage`.
//!
//! The choice is written to `<html data-theme="…">`; the stylesheet does the rest
//! (`color-scheme` plus `light-dark()` colours), so "system" needs no listener here.
//! `boot.js` applies the stored choice before the first paint to avoid a flash.

use leptos::prelude::*;

/// The `localStorage` key; `boot.js` reads the same key.
const STORAGE_KEY: &str = "pulse.theme";

/// The theme a person picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// The value stored and written to `data-theme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Light => "Light",
            Self::Dark => "Dark",
        }
    }

    /// The theme the toggle switches to next: system → light → dark → system.
    pub fn next(self) -> Self {
        match self {
            Self::System => Self::Light,
            Self::Light => Self::Dark,
            Self::Dark => Self::System,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "system" => Some(Self::System),
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }
}

/// The stored theme, or [`Theme::System`] when nothing (valid) is stored or storage is blocked.
pub fn load() -> Theme {
    storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|value| Theme::parse(&value))
        .unwrap_or_default()
}

/// Applies `theme` to the document and remembers it. Storage failures (private mode,
/// quota) only cost the memory of the choice, so they are ignored.
pub fn apply(theme: Theme) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme.as_str());
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, theme.as_str());
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}
