//! Small wrappers over browser APIs the pages use: the clipboard, file downloads, the
//! clock, the URL fragment, printing and yielding to the browser.

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

/// Resolves in a task after this one: the browser may paint and answer input between.
pub async fn next_task() {
    sleep(std::time::Duration::ZERO).await;
}

/// Resolves after `duration`, in a task of its own.
pub async fn sleep(duration: std::time::Duration) {
    let (done, later) = futures::channel::oneshot::channel();
    leptos::prelude::set_timeout(
        move || {
            let _ = done.send(());
        },
        duration,
    );
    let _ = later.await;
}

/// Copies `text` to the clipboard. Fails where the browser refuses (no permission, page
/// not focused, insecure context); callers then let the person copy by hand.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = leptos::prelude::window();
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(describe)
}

/// Offers `content` as a file download named `file_name`.
pub fn save_file(file_name: &str, mime: &str, content: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(content));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(describe)?;
    save_blob(file_name, &blob)
}

/// Offers `blob` as a file download named `file_name`: an object URL clicked through a
/// temporary `<a download>` (no page navigation, no CSP change).
pub fn save_blob(file_name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(describe)?;
    let document = leptos::prelude::document();
    let link = document
        .create_element("a")
        .map_err(describe)?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| "not an anchor".to_owned())?;
    link.set_href(&url);
    link.set_download(file_name);
    link.set_hidden(true);
    let body = document.body().ok_or("the page has no body")?;
    body.append_child(&link).map_err(describe)?;
    link.click();
    link.remove();
    // The download has started; the URL can go once the click has been handled.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(10),
    );
    Ok(())
}

/// The browser's clock as `2026-11-25T14-03-07` (UTC), for file names.
///
/// Rationale: `chrono::Utc::now()` panics on `wasm32-unknown-unknown` without chrono's
/// `wasmbind` feature; the page's own `Date` is right here.
pub fn file_stamp() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    iso.chars()
        .take(19)
        .map(|c| if c == ':' { '-' } else { c })
        .collect()
}

/// The browser's clock.
///
/// Rationale: as for [`file_stamp`], `chrono::Utc::now()` would panic here.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    // Milliseconds since the epoch fit an i64 for the next 290 million years.
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// Scrolls the page back to its top (after choosing something further down that
/// changes what the top shows).
pub fn scroll_to_top() {
    leptos::prelude::window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Opens the browser's print dialog (the print stylesheet leaves out the app around the
/// page).
pub fn print() {
    let _ = leptos::prelude::window().print();
}

/// The URL fragment without its `#` (empty when there is none).
pub fn location_hash() -> String {
    leptos::prelude::window()
        .location()
        .hash()
        .unwrap_or_default()
        .trim_start_matches('#')
        .to_owned()
}

fn describe(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|error| String::from(error.message()))
        })
        .unwrap_or_else(|| "the browser refused".to_owned())
}

/// Saves a CSV export, `csv`, as `pulse-<stem>-<stamp>.csv` and tells the person how
/// many rows (`one` / `many` of them, the lines after the heading) it holds, or why it
/// could not be had or saved.
pub fn save_csv(
    toasts: crate::components::Toasts,
    csv: Result<String, crate::api::ApiError>,
    stem: &str,
    (one, many): (&str, &str),
) {
    match csv {
        Ok(csv) => {
            let rows = csv.lines().count().saturating_sub(1);
            let name = format!("pulse-{stem}-{}.csv", file_stamp());
            match save_file(&name, "text/csv", &csv) {
                Ok(()) => toasts.success(format!(
                    "Exported {rows} {} to {name}",
                    if rows == 1 { one } else { many }
                )),
                Err(error) => toasts.error(format!("Could not save the file: {error}")),
            }
        }
        Err(error) => toasts.error(format!("Could not export the {many}: {error}")),
    }
}

/// Saves a spreadsheet export, `xlsx`, as `pulse-<stem>-<stamp>.xlsx`, or tells the
/// person why it could not be had or saved.
pub fn save_xlsx(
    toasts: crate::components::Toasts,
    xlsx: Result<web_sys::Blob, crate::api::ApiError>,
    stem: &str,
) {
    let name = format!("pulse-{stem}-{}.xlsx", file_stamp());
    match xlsx.map_err(|error| format!("Could not export the spreadsheet: {error}")) {
        Ok(blob) => match save_blob(&name, &blob) {
            Ok(()) => toasts.success(format!("Exported to {name}")),
            Err(error) => toasts.error(format!("Could not save the file: {error}")),
        },
        Err(message) => toasts.error(message),
    }
}

/// Unhides the page's "Pulse stopped working" message (in `index.html`, outside the
/// app): after a panic the app is gone, so only the page itself can say so.
pub fn show_stopped() {
    if let Some(message) = leptos::prelude::document().get_element_by_id("app-stopped") {
        let _ = message.remove_attribute("hidden");
    }
}
