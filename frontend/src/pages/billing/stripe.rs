//! Stripe.js in the page: loading the script once from the address the server names,
//! mounting a card Element, and confirming a SetupIntent with it. Plain `Reflect`
//! calls on the objects Stripe.js hands out, so no bindings crate is needed.
//!
//! Rationale: card numbers never reach Pulse. Stripe.js collects them (in Stripe's own
//! frames) and answers with a PaymentMethod id, which is all the server stores.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How long the script may take to arrive before the form gives up.
const LOAD_TIMEOUT_MS: i32 = 15_000;

/// A mounted card Element and the Stripe object that made it (handles: clones share them).
#[derive(Clone)]
pub struct CardElement {
    stripe: JsValue,
    card: JsValue,
}

impl CardElement {
    /// Loads Stripe.js from `js_url` (once per page) and mounts a card Element for
    /// `publishable_key` inside `host`.
    pub async fn mount(
        js_url: &str,
        publishable_key: &str,
        host: &web_sys::HtmlElement,
    ) -> Result<Self, String> {
        let constructor = load(js_url).await?;
        let stripe = constructor
            .call1(&JsValue::NULL, &JsValue::from_str(publishable_key))
            .map_err(describe)?;
        let elements = invoke(&stripe, "elements", &[])?;
        let card = invoke(&elements, "create", &[JsValue::from_str("card")])?;
        invoke(&card, "mount", &[host.clone().into()])?;
        Ok(Self { stripe, card })
    }

    /// `stripe.confirmCardSetup(client_secret, {payment_method: {card}})`: the id of the
    /// PaymentMethod made from what was typed, or Stripe's words for why not.
    pub async fn confirm_setup(&self, client_secret: &str) -> Result<String, String> {
        let payment_method = Object::new();
        set(&payment_method, "card", &self.card)?;
        let data = Object::new();
        set(&data, "payment_method", &payment_method)?;
        let promise = invoke(
            &self.stripe,
            "confirmCardSetup",
            &[JsValue::from_str(client_secret), data.into()],
        )?;
        let result = JsFuture::from(Promise::from(promise))
            .await
            .map_err(describe)?;
        let error = get(&result, "error");
        if !error.is_null() && !error.is_undefined() {
            return Err(get(&error, "message")
                .as_string()
                .unwrap_or_else(|| "Stripe could not check this card.".to_owned()));
        }
        let method = get(&get(&result, "setupIntent"), "payment_method");
        // An id, or the PaymentMethod itself when Stripe expands it.
        method
            .as_string()
            .or_else(|| get(&method, "id").as_string())
            .ok_or_else(|| "Stripe answered without a card.".to_owned())
    }
}

impl CardElement {
    /// Takes the Element out of the page.
    pub fn destroy(&self) {
        let _ = invoke(&self.card, "destroy", &[]);
    }
}

/// `window.Stripe`, after injecting `<script src=js_url>` unless a script of that
/// address is already in the page.
async fn load(js_url: &str) -> Result<Function, String> {
    let window = leptos::prelude::window();
    if let Some(constructor) = constructor(&window) {
        return Ok(constructor);
    }
    let document = leptos::prelude::document();
    if document
        .query_selector("script[data-stripe-js]")
        .ok()
        .flatten()
        .is_none()
    {
        let script = document
            .create_element("script")
            .map_err(describe)?
            .dyn_into::<web_sys::HtmlElement>()
            .map_err(|_| "not an element".to_owned())?;
        script.set_attribute("src", js_url).map_err(describe)?;
        script
            .set_attribute("data-stripe-js", "")
            .map_err(describe)?;
        let parent = document
            .query_selector("head")
            .ok()
            .flatten()
            .ok_or("the page has no head")?;
        parent.append_child(&script).map_err(describe)?;
    }
    // Waiting for the global rather than `onload` also covers a script that another
    // form injected and that is still on its way.
    let mut waited = 0;
    while waited < LOAD_TIMEOUT_MS {
        if let Some(constructor) = constructor(&window) {
            return Ok(constructor);
        }
        crate::browser::sleep(std::time::Duration::from_millis(50)).await;
        waited += 50;
    }
    Err("Stripe.js could not be loaded. Check your connection and try again.".to_owned())
}

fn constructor(window: &web_sys::Window) -> Option<Function> {
    Reflect::get(window, &JsValue::from_str("Stripe"))
        .ok()
        .and_then(|value| value.dyn_into::<Function>().ok())
}

/// `target[name](...args)` with `this` bound to `target`.
fn invoke(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let method = get(target, name)
        .dyn_into::<Function>()
        .map_err(|_| format!("Stripe.js has no {name}()"))?;
    let args = args.iter().collect::<js_sys::Array>();
    Reflect::apply(&method, target, &args).map_err(describe)
}

fn get(target: &JsValue, name: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &Object, name: &str, value: &JsValue) -> Result<(), String> {
    Reflect::set(target, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(describe)
}

/// A thrown JavaScript value as text.
fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "Stripe.js failed.".to_owned())
}
