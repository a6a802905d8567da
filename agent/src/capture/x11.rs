//! The X11 backend, through one long-lived connection (`x11rb`, pure Rust): the active
//! window from `_NET_ACTIVE_WINDOW` (else the input focus, walked up to a window with a
//! class), its class and title, idle time and a running screensaver from the
//! MIT-SCREEN-SAVER extension, input counts from XInput2 raw events on the root window,
//! monitors from RandR.
//!
//! The window in front is read again only when the X server says something changed
//! (`PropertyNotify` of `_NET_ACTIVE_WINDOW` on the root window, or of the title or
//! class on the window in front), and at least every [`REREAD_EVERY`] in case a
//! notification was missed. Without `_NET_ACTIVE_WINDOW` (a window manager without
//! EWMH) it is read at every sample.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use x11rb::connection::Connection as _;
use x11rb::protocol::Event;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::screensaver::{self, ConnectionExt as _};
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, ImageFormat,
    PropertyNotifyEvent, Window as XWindow,
};
use x11rb::rust_connection::RustConnection;

use super::{Idle, Inputs, Monitor, Platform, Window};

/// Pointer motion counts at most once per this span: moving the mouse is input, but a
/// raw event per pixel would break the server's inputs-per-second limit.
const MOTION_EVERY: Duration = Duration::from_millis(250);
/// `XIAllMasterDevices`: raw events of the master devices, so a key is counted once
/// and not again for its physical (slave) device.
const ALL_MASTER_DEVICES: u16 = 1;
/// Longest title read, in bytes (the server keeps 1,000 characters).
const TITLE_BYTES: u32 = 4096;
/// The window in front is read again at least this often, notified or not.
pub const REREAD_EVERY: Duration = Duration::from_secs(15);
/// How often logind is asked whether the session is locked.
const LOGIND_EVERY: Duration = Duration::from_secs(5);

struct Atoms {
    net_active_window: Atom,
    net_wm_name: Atom,
    net_wm_pid: Atom,
    utf8_string: Atom,
    compound_text: Atom,
}

/// The window in front as last read.
struct Front {
    /// The client window (the one with a class), whose property changes are selected.
    id: XWindow,
    window: Window,
    read_at: Instant,
}

/// What logind said of the session's lock, and when.
struct LogindLock {
    session: String,
    locked: bool,
    asked_at: Option<Instant>,
}

pub struct X11 {
    conn: RustConnection,
    root: XWindow,
    atoms: Atoms,
    /// Whether XInput2 raw events were selected (input counts are zero without it).
    xinput: bool,
    inputs: Inputs,
    last_motion: Option<Instant>,
    front: Option<Front>,
    /// A notification said the window in front, its title or its class changed.
    stale: bool,
    /// `XDG_SESSION_ID` when `loginctl` can say whether this session is locked.
    logind: Option<LogindLock>,
}

impl X11 {
    /// Connects to `$DISPLAY`.
    pub fn connect() -> anyhow::Result<Self> {
        Self::connect_to(None)
    }

    /// Connects to `display` (`:0`), else to `$DISPLAY`.
    pub fn connect_to(display: Option<&str>) -> anyhow::Result<Self> {
        let (conn, screen) = x11rb::connect(display).context(
            "cannot connect to the X server (is DISPLAY set? Wayland is not supported yet)",
        )?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .context("the X server has no such screen")?
            .root;
        let atom = |name: &[u8]| -> anyhow::Result<Atom> {
            Ok(conn.intern_atom(false, name)?.reply()?.atom)
        };
        let atoms = Atoms {
            net_active_window: atom(b"_NET_ACTIVE_WINDOW")?,
            net_wm_name: atom(b"_NET_WM_NAME")?,
            net_wm_pid: atom(b"_NET_WM_PID")?,
            utf8_string: atom(b"UTF8_STRING")?,
            compound_text: atom(b"COMPOUND_TEXT")?,
        };
        let xinput = select_raw_inputs(&conn, root).is_ok();
        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE),
        )?
        .check()?;
        Ok(Self {
            conn,
            root,
            atoms,
            xinput,
            inputs: Inputs::default(),
            last_motion: None,
            front: None,
            stale: true,
            logind: std::env::var("XDG_SESSION_ID")
                .ok()
                .filter(|id| !id.is_empty())
                .map(|session| LogindLock {
                    session,
                    locked: false,
                    asked_at: None,
                }),
        })
    }

    /// Handles what the X server sent since the last call: counts raw inputs, and marks
    /// the window in front stale when a property that names it changed.
    fn drain_events(&mut self) -> anyhow::Result<()> {
        while let Some(event) = self.conn.poll_for_event()? {
            match event {
                Event::XinputRawKeyPress(_) => {
                    self.inputs.keystrokes = self.inputs.keystrokes.saturating_add(1);
                }
                Event::XinputRawButtonPress(_) => {
                    self.inputs.mouse_events = self.inputs.mouse_events.saturating_add(1);
                }
                Event::XinputRawMotion(_) => {
                    let now = Instant::now();
                    if self
                        .last_motion
                        .is_none_or(|last| now.duration_since(last) >= MOTION_EVERY)
                    {
                        self.last_motion = Some(now);
                        self.inputs.mouse_events = self.inputs.mouse_events.saturating_add(1);
                    }
                }
                Event::PropertyNotify(notify) if self.names_front(&notify) => self.stale = true,
                // Errors of selecting events on a window that is gone, among others.
                _ => {}
            }
        }
        Ok(())
    }

    fn names_front(&self, notify: &PropertyNotifyEvent) -> bool {
        if notify.window == self.root {
            return notify.atom == self.atoms.net_active_window;
        }
        self.front
            .as_ref()
            .is_some_and(|front| front.id == notify.window)
            && [
                self.atoms.net_wm_name,
                AtomEnum::WM_NAME.into(),
                AtomEnum::WM_CLASS.into(),
            ]
            .contains(&notify.atom)
    }

    /// Selects property changes of `window` (the new window in front) and drops those of
    /// the previous one. Errors (a window closed meanwhile) come back as events and are
    /// ignored; the next notification or [`REREAD_EVERY`] reads the front again.
    fn watch(&self, window: XWindow) -> anyhow::Result<()> {
        let previous = self.front.as_ref().map(|front| front.id);
        if previous == Some(window) {
            return Ok(());
        }
        if let Some(previous) = previous {
            self.conn.change_window_attributes(
                previous,
                &ChangeWindowAttributesAux::new().event_mask(EventMask::NO_EVENT),
            )?;
        }
        self.conn.change_window_attributes(
            window,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE),
        )?;
        self.conn.flush()?;
        Ok(())
    }

    /// Reads the window in front from the X server.
    fn read_front(&self) -> anyhow::Result<Option<(XWindow, Window)>> {
        let Some(window) = self.front_id()? else {
            return Ok(None);
        };
        let exe = self.exe(window).unwrap_or(None);
        let Some(app) = self.class(window)?.or_else(|| exe.clone()) else {
            return Ok(None);
        };
        let title = self.title(window)?.filter(|t| !t.trim().is_empty());
        Ok(Some((window, Window { app, exe, title })))
    }

    /// Whether inputs are counted (the server has XInput 2).
    pub fn counts_inputs(&self) -> bool {
        self.xinput
    }

    fn property(
        &self,
        window: XWindow,
        property: impl Into<Atom>,
        length: u32,
    ) -> anyhow::Result<Option<(Atom, Vec<u8>)>> {
        let reply = self
            .conn
            .get_property(
                false,
                window,
                property,
                AtomEnum::ANY,
                0,
                length.div_ceil(4),
            )?
            .reply()?;
        Ok((reply.type_ != u32::from(AtomEnum::NONE)).then_some((reply.type_, reply.value)))
    }

    fn window_id(&self, window: XWindow, property: Atom) -> anyhow::Result<Option<XWindow>> {
        let reply = self
            .conn
            .get_property(false, window, property, AtomEnum::ANY, 0, 1)?
            .reply()?;
        Ok(reply
            .value32()
            .and_then(|mut values| values.next())
            .filter(|&w| w != 0))
    }

    /// `instance\0class\0` → the class.
    fn class(&self, window: XWindow) -> anyhow::Result<Option<String>> {
        let Some((_, value)) = self.property(window, AtomEnum::WM_CLASS, 1024)? else {
            return Ok(None);
        };
        let mut parts = value.split(|&b| b == 0).filter(|part| !part.is_empty());
        let instance = parts.next();
        let class = parts.next().or(instance);
        Ok(class
            .map(latin1)
            .map(|class| class.trim().to_owned())
            .filter(|class| !class.is_empty()))
    }

    fn title(&self, window: XWindow) -> anyhow::Result<Option<String>> {
        if let Some((kind, value)) = self.property(window, self.atoms.net_wm_name, TITLE_BYTES)?
            && kind == self.atoms.utf8_string
        {
            return Ok(Some(String::from_utf8_lossy(&value).into_owned()));
        }
        let Some((kind, value)) = self.property(window, AtomEnum::WM_NAME, TITLE_BYTES)? else {
            return Ok(None);
        };
        Ok(Some(if kind == self.atoms.utf8_string {
            String::from_utf8_lossy(&value).into_owned()
        } else if kind == self.atoms.compound_text {
            compound_text(&value)
        } else {
            latin1(&value)
        }))
    }

    fn exe(&self, window: XWindow) -> anyhow::Result<Option<String>> {
        let pid = self
            .conn
            .get_property(
                false,
                window,
                self.atoms.net_wm_pid,
                AtomEnum::CARDINAL,
                0,
                1,
            )?
            .reply()?
            .value32()
            .and_then(|mut values| values.next());
        Ok(pid
            .and_then(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok())
            .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned())))
    }

    /// The window in front: `_NET_ACTIVE_WINDOW`, else the focus; walked up to the first
    /// window with a class (the client window inside the window manager's frame).
    fn front_id(&self) -> anyhow::Result<Option<XWindow>> {
        let mut window = match self.window_id(self.root, self.atoms.net_active_window)? {
            Some(window) => window,
            None => self.conn.get_input_focus()?.reply()?.focus,
        };
        // PointerRoot (1) and None (0) name no window.
        for _ in 0..32 {
            if window <= 1 || window == self.root {
                return Ok(None);
            }
            if self.property(window, AtomEnum::WM_CLASS, 4)?.is_some() {
                return Ok(Some(window));
            }
            window = self.conn.query_tree(window)?.reply()?.parent;
        }
        Ok(None)
    }
}

impl Platform for X11 {
    fn active_window(&mut self) -> anyhow::Result<Option<Window>> {
        self.drain_events()?;
        if let Some(front) = &self.front
            && !self.stale
            && front.read_at.elapsed() < REREAD_EVERY
        {
            return Ok(Some(front.window.clone()));
        }
        // Without _NET_ACTIVE_WINDOW nothing announces a change of focus: read every time.
        self.stale = self
            .window_id(self.root, self.atoms.net_active_window)?
            .is_none();
        let read = self.read_front()?;
        match read {
            Some((id, window)) => {
                self.watch(id)?;
                self.front = Some(Front {
                    id,
                    window: window.clone(),
                    read_at: Instant::now(),
                });
                Ok(Some(window))
            }
            None => {
                self.front = None;
                self.stale = true;
                Ok(None)
            }
        }
    }

    fn idle(&mut self) -> anyhow::Result<Idle> {
        let info = self
            .conn
            .screensaver_query_info(self.root)?
            .reply()
            .context("the X server lacks the MIT-SCREEN-SAVER extension")?;
        let screen_locked =
            info.state == u8::from(screensaver::State::ON) || self.logind_says_locked();
        Ok(Idle {
            since_input: Duration::from_millis(u64::from(info.ms_since_user_input)),
            screen_locked,
        })
    }

    fn take_inputs(&mut self) -> anyhow::Result<Inputs> {
        self.drain_events()?;
        Ok(std::mem::take(&mut self.inputs))
    }

    fn monitors(&mut self) -> anyhow::Result<Vec<Monitor>> {
        if let Ok(reply) = self
            .conn
            .randr_get_monitors(self.root, true)
            .map_err(anyhow::Error::from)
            .and_then(|cookie| Ok(cookie.reply()?))
            && !reply.monitors.is_empty()
        {
            let mut monitors = Vec::with_capacity(reply.monitors.len());
            for info in reply.monitors {
                let name = self
                    .conn
                    .get_atom_name(info.name)?
                    .reply()
                    .map(|r| String::from_utf8_lossy(&r.name).into_owned())
                    .unwrap_or_default();
                monitors.push(Monitor {
                    name,
                    x: info.x,
                    y: info.y,
                    width: info.width,
                    height: info.height,
                });
            }
            return Ok(monitors);
        }
        // No RandR 1.5: the whole screen is one monitor.
        let geometry = self.conn.get_geometry(self.root)?.reply()?;
        Ok(vec![Monitor {
            name: "screen".to_owned(),
            x: 0,
            y: 0,
            width: geometry.width,
            height: geometry.height,
        }])
    }

    fn screenshot(&mut self, monitor: &Monitor) -> anyhow::Result<image::RgbImage> {
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                monitor.x,
                monitor.y,
                monitor.width,
                monitor.height,
                !0,
            )?
            .reply()
            .context("reading the screen (GetImage)")?;
        let bpp = self.bits_per_pixel(reply.depth);
        anyhow::ensure!(
            matches!(reply.depth, 24 | 32) && bpp == Some(32),
            "screens of depth {} ({bpp:?} bits a pixel) are not supported",
            reply.depth
        );
        let (width, height) = (u32::from(monitor.width), u32::from(monitor.height));
        // 32-bit pixels, little-endian BGRX (the X server's order on every platform
        // we run on; `image_byte_order` says so).
        let rgb: Vec<u8> = reply
            .data
            .chunks_exact(4)
            .flat_map(|pixel| [pixel[2], pixel[1], pixel[0]])
            .collect();
        image::RgbImage::from_raw(width, height, rgb).context("the screen's image is short")
    }
}

impl X11 {
    /// Bits per pixel of the root window's depth in Z format.
    fn bits_per_pixel(&self, depth: u8) -> Option<u8> {
        self.conn
            .setup()
            .pixmap_formats
            .iter()
            .find(|format| format.depth == depth)
            .map(|format| format.bits_per_pixel)
    }
}

impl X11 {
    /// logind's `LockedHint` of this session, asked at most every [`LOGIND_EVERY`];
    /// `false` when logind cannot say (then it is not asked again).
    fn logind_says_locked(&mut self) -> bool {
        let Some(logind) = self.logind.as_mut() else {
            return false;
        };
        if logind
            .asked_at
            .is_none_or(|asked| asked.elapsed() >= LOGIND_EVERY)
        {
            logind.asked_at = Some(Instant::now());
            match logind_locked(&logind.session) {
                Some(locked) => logind.locked = locked,
                // No loginctl, or no such session.
                None => {
                    self.logind = None;
                    return false;
                }
            }
        }
        logind.locked
    }
}

/// logind's `LockedHint` of `session` (set by GNOME, KDE and lockers that tell logind);
/// `None` when loginctl cannot say.
fn logind_locked(session: &str) -> Option<bool> {
    let out = Command::new("loginctl")
        .args(["show-session", session, "--property=LockedHint", "--value"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    match String::from_utf8_lossy(&out.stdout).trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// Asks for raw key presses, button presses and motion of the master devices.
fn select_raw_inputs(conn: &RustConnection, root: XWindow) -> anyhow::Result<()> {
    conn.xinput_xi_query_version(2, 2)?.reply()?;
    let mask = xinput::XIEventMask::RAW_KEY_PRESS
        | xinput::XIEventMask::RAW_BUTTON_PRESS
        | xinput::XIEventMask::RAW_MOTION;
    conn.xinput_xi_select_events(
        root,
        &[xinput::EventMask {
            deviceid: ALL_MASTER_DEVICES,
            mask: vec![mask],
        }],
    )?
    .check()?;
    conn.flush()?;
    Ok(())
}

/// ICCCM `STRING`: ISO Latin-1, one byte a character.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// ICCCM `COMPOUND_TEXT`: Latin-1 text between ISO 2022 escape sequences. The Latin-1
/// parts are kept and other character sets are dropped (UTF-8 titles come through
/// `_NET_WM_NAME`, which every current toolkit sets).
fn compound_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    let mut latin = true;
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if b == 0x1b {
            // ESC, intermediate bytes (0x20..=0x2f), one final byte.
            let intermediates: Vec<u8> = tail
                .iter()
                .copied()
                .take_while(|c| (0x20..=0x2f).contains(c))
                .collect();
            let Some(&last) = tail.get(intermediates.len()) else {
                break;
            };
            // ESC ( B (ASCII) and ESC - A (Latin-1 right half) keep Latin-1.
            latin = matches!(
                (intermediates.as_slice(), last),
                (b"(", b'B') | (b"-", b'A')
            );
            rest = &tail[intermediates.len() + 1..];
            continue;
        }
        if latin && (b == b'\n' || b == b'\t' || b >= 0x20) {
            text.push(char::from(b));
        }
        rest = tail;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_titles_decode_as_latin1_and_compound_text() {
        assert_eq!(latin1(b"caf\xe9"), "café");
        assert_eq!(compound_text(b"caf\xe9 \x1b$(Bxx\x1b(B ok"), "café  ok");
        assert_eq!(compound_text(b"plain"), "plain");
    }
}
