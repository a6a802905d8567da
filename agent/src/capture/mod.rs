//! What the agent sees of the computer, behind one small trait per platform: the
//! window in front, the time since the last input, how many inputs there were, the
//! monitors and what they show. Event building, the policy, the spool and the uploader only see
//! [`Platform`], so a Windows or macOS backend adds a file here and touches nothing else.

pub mod x11;

use std::time::Duration;

use serde::Serialize;

/// The window in front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The application: its window class (`WM_CLASS`), else its executable's name.
    pub app: String,
    /// The executable's file name, when the window names its process.
    pub exe: Option<String>,
    /// The window's title, when it has one.
    pub title: Option<String>,
}

/// Inputs counted since the last call; which key or button is never read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Inputs {
    pub keystrokes: u32,
    /// Clicks, scrolls, and pointer motion coalesced to a few a second.
    pub mouse_events: u32,
}

/// How long the person has been away from the keyboard and pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Idle {
    /// Time since the last keyboard or pointer input.
    pub since_input: Duration,
    /// The screen is locked or blanked, where the platform can tell.
    pub screen_locked: bool,
}

/// One monitor's place on the screen, in pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Monitor {
    pub name: String,
    pub x: i16,
    pub y: i16,
    pub width: u16,
    pub height: u16,
}

/// A platform's view of the desktop. Calls are cheap (local round trips) and made about
/// once a second from the agent's loop.
pub trait Platform: Send {
    /// The window in front; `None` when no window has the focus.
    fn active_window(&mut self) -> anyhow::Result<Option<Window>>;
    /// Time since the last input, and whether the screen is locked.
    fn idle(&mut self) -> anyhow::Result<Idle>;
    /// Inputs since the previous call.
    fn take_inputs(&mut self) -> anyhow::Result<Inputs>;
    /// The monitors, in the platform's order (the screenshot's `monitor` index).
    fn monitors(&mut self) -> anyhow::Result<Vec<Monitor>>;
    /// What `monitor` shows now.
    fn screenshot(&mut self, monitor: &Monitor) -> anyhow::Result<image::RgbImage>;
}

/// The platform of this session: X11 when `DISPLAY` is set.
pub fn open() -> anyhow::Result<Box<dyn Platform>> {
    Ok(Box::new(x11::X11::connect()?))
}
