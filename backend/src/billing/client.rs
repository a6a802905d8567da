//! The Stripe API, as Pulse uses it: async-stripe's generic request methods over our
//! own lean types (only the fields we read, so the test double's objects parse as
//! real Stripe's do). Every mutating call carries an `Idempotency-Key` derived from
//! the operation (a retried request never charges twice), and every call a timeout.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use ::stripe::{Client, RequestStrategy, StripeError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::StripeConfig;

/// The longest one Stripe call may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A Stripe account's API.
#[derive(Clone)]
pub struct StripeClient {
    client: Client,
}

impl std::fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeClient")
    }
}

/// Why a Stripe call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Stripe refused a card: its message, for the person who entered it.
    #[error("{0}")]
    Declined(String),
    /// Stripe has no such object (a payment method id that does not exist).
    #[error("{0}")]
    Missing(String),
    /// Anything else: Stripe refused the request, failed, or did not answer in time.
    #[error("{0}")]
    Failed(String),
}

impl From<StripeError> for CallError {
    fn from(error: StripeError) -> Self {
        match error {
            StripeError::Stripe(request) => {
                let message = request
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("Stripe answered {}.", request.http_status));
                match request.http_status {
                    402 => Self::Declined(message),
                    404 => Self::Missing(message),
                    _ => Self::Failed(format!(
                        "Stripe refused the request ({}): {message}",
                        request.http_status
                    )),
                }
            }
            StripeError::Timeout => Self::Failed("Stripe did not answer in time.".into()),
            other => Self::Failed(format!("Stripe failed: {other}")),
        }
    }
}

/// A list as Stripe sends one.
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<String>,
    pub card: Option<Card>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    /// On the subscription in older API versions, on its item in newer ones.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub items: List<SubscriptionItem>,
    pub latest_invoice: Option<String>,
}

impl Subscription {
    /// The current period, `(start, end)` in Unix seconds, wherever the API version
    /// puts it.
    pub fn period(&self) -> Option<(i64, i64)> {
        let item = self.items.data.first();
        Some((
            self.current_period_start
                .or(item.and_then(|item| item.current_period_start))?,
            self.current_period_end
                .or(item.and_then(|item| item.current_period_end))?,
        ))
    }

    /// The one item Pulse subscriptions have: its id and plan (price) id.
    pub fn item(&self) -> Option<(&str, &str)> {
        self.items
            .data
            .first()
            .map(|item| (item.id.as_str(), item.plan.id.as_str()))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub plan: PlanRef,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlanRef {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Invoice {
    /// Absent on a preview.
    pub id: Option<String>,
    pub customer: String,
    pub subscription: Option<String>,
    pub number: Option<String>,
    pub status: Option<String>,
    pub total: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: String,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub created: Option<i64>,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
    pub payment_intent: Option<String>,
    pub lines: Option<List<InvoiceLine>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceLine {
    pub description: Option<String>,
    pub amount: i64,
    #[serde(default)]
    pub proration: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentError {
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: String,
}

/// A new or changed subscription item.
#[derive(Debug, Serialize)]
struct ItemForm<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    plan: &'a str,
}

impl StripeClient {
    pub fn new(config: &StripeConfig) -> Self {
        Self {
            client: Client::from_url(format!("{}/", config.api_base).as_str(), &config.secret_key)
                .with_app_info("Pulse".into(), Some(env!("CARGO_PKG_VERSION").into()), None),
        }
    }

    /// `call` within the timeout.
    async fn run<T>(call: impl Future<Output = Result<T, StripeError>>) -> Result<T, CallError> {
        match tokio::time::timeout(TIMEOUT, call).await {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(StripeError::Timeout.into()),
        }
    }

    async fn get<T: DeserializeOwned + Send + 'static>(&self, path: &str) -> Result<T, CallError> {
        Self::run(self.client.get(path)).await
    }

    async fn get_query<T: DeserializeOwned + Send + 'static, Q: Serialize>(
        &self,
        path: &str,
        query: Q,
    ) -> Result<T, CallError> {
        Self::run(self.client.get_query(path, query)).await
    }

    /// A mutating call, at most once per `key` (Stripe answers a repeated key with
    /// the first answer).
    async fn post<T: DeserializeOwned + Send + 'static, F: Serialize>(
        &self,
        path: &str,
        form: F,
        key: String,
    ) -> Result<T, CallError> {
        let client = self
            .client
            .clone()
            .with_strategy(RequestStrategy::Idempotent(key));
        Self::run(client.post_form(path, form)).await
    }

    /// The customer for `company`, made now (the key is the company: two racing first
    /// needs make one customer).
    pub async fn create_customer(
        &self,
        company: uuid::Uuid,
        name: &str,
        email: Option<&str>,
    ) -> Result<Customer, CallError> {
        #[derive(Serialize)]
        struct Form<'a> {
            name: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            email: Option<&'a str>,
            metadata: BTreeMap<&'static str, String>,
        }
        let form = Form {
            name,
            email,
            metadata: BTreeMap::from([("company_id", company.to_string())]),
        };
        self.post("customers", form, format!("customer-{company}"))
            .await
    }

    /// Sets where the customer's invoices go.
    pub async fn update_customer_email(
        &self,
        customer: &str,
        email: &str,
        operation: uuid::Uuid,
    ) -> Result<Customer, CallError> {
        self.post(
            &format!("customers/{customer}"),
            form([("email", email)]),
            format!("customer-email-{operation}"),
        )
        .await
    }

    /// A SetupIntent Stripe.js confirms with the card it collects.
    pub async fn create_setup_intent(
        &self,
        customer: &str,
        operation: uuid::Uuid,
    ) -> Result<SetupIntent, CallError> {
        #[derive(Serialize)]
        struct Form<'a> {
            customer: &'a str,
            usage: &'static str,
            payment_method_types: [&'static str; 1],
        }
        let form = Form {
            customer,
            usage: "off_session",
            payment_method_types: ["card"],
        };
        self.post("setup_intents", form, format!("setup-{operation}"))
            .await
    }

    pub async fn payment_method(&self, id: &str) -> Result<PaymentMethod, CallError> {
        self.get(&format!("payment_methods/{}", path_segment(id)?))
            .await
    }

    /// Attaches the card to the customer (a no-op when Stripe.js has already).
    pub async fn attach_payment_method(
        &self,
        id: &str,
        customer: &str,
    ) -> Result<PaymentMethod, CallError> {
        self.post(
            &format!("payment_methods/{}/attach", path_segment(id)?),
            form([("customer", customer)]),
            format!("attach-{id}-{customer}"),
        )
        .await
    }

    /// Makes the card the one the customer's invoices are charged to.
    pub async fn set_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
    ) -> Result<Customer, CallError> {
        self.post(
            &format!("customers/{customer}"),
            form([("invoice_settings[default_payment_method]", payment_method)]),
            format!("default-card-{customer}-{payment_method}"),
        )
        .await
    }

    /// Subscribes the customer to `price`; `key` names the operation.
    pub async fn create_subscription(
        &self,
        customer: &str,
        price: &str,
        company: uuid::Uuid,
        key: String,
    ) -> Result<Subscription, CallError> {
        #[derive(Serialize)]
        struct Form<'a> {
            customer: &'a str,
            items: [ItemForm<'a>; 1],
            metadata: BTreeMap<&'static str, String>,
        }
        let form = Form {
            customer,
            items: [ItemForm {
                id: None,
                plan: price,
            }],
            metadata: BTreeMap::from([("company_id", company.to_string())]),
        };
        self.post("subscriptions", form, key).await
    }

    /// Moves the subscription's item to `price`, prorated as of `proration_date`.
    pub async fn change_plan(
        &self,
        subscription: &str,
        item: &str,
        price: &str,
        proration_date: i64,
    ) -> Result<Subscription, CallError> {
        #[derive(Serialize)]
        struct Form<'a> {
            items: [ItemForm<'a>; 1],
            prorate: bool,
            proration_date: i64,
        }
        let form = Form {
            items: [ItemForm {
                id: Some(item),
                plan: price,
            }],
            prorate: true,
            proration_date,
        };
        self.post(
            &format!("subscriptions/{subscription}"),
            form,
            format!("plan-{subscription}-{item}-{price}-{proration_date}"),
        )
        .await
    }

    /// Auto-renew off (`true`) or on.
    pub async fn set_cancel_at_period_end(
        &self,
        subscription: &str,
        cancel: bool,
        operation: uuid::Uuid,
    ) -> Result<Subscription, CallError> {
        self.post(
            &format!("subscriptions/{subscription}"),
            form([(
                "cancel_at_period_end",
                if cancel { "true" } else { "false" },
            )]),
            format!("auto-renew-{operation}"),
        )
        .await
    }

    /// Ends the subscription now.
    pub async fn cancel_subscription(&self, subscription: &str) -> Result<Subscription, CallError> {
        Self::run(
            self.client
                .clone()
                .with_strategy(RequestStrategy::Idempotent(format!(
                    "cancel-{subscription}"
                )))
                .delete(&format!("subscriptions/{subscription}")),
        )
        .await
    }

    pub async fn subscription(&self, id: &str) -> Result<Subscription, CallError> {
        self.get(&format!("subscriptions/{id}")).await
    }

    /// What the customer would be invoiced next if the subscription (or a new one)
    /// were on `price`, prorated as of `proration_date`.
    pub async fn preview_invoice(
        &self,
        customer: &str,
        current: Option<(&str, &str)>,
        price: &str,
        proration_date: i64,
    ) -> Result<Invoice, CallError> {
        #[derive(Serialize)]
        struct Query<'a> {
            customer: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            subscription: Option<&'a str>,
            subscription_items: [ItemForm<'a>; 1],
            #[serde(skip_serializing_if = "Option::is_none")]
            subscription_proration_date: Option<i64>,
        }
        let query = Query {
            customer,
            subscription: current.map(|(subscription, _)| subscription),
            subscription_items: [ItemForm {
                id: current.map(|(_, item)| item),
                plan: price,
            }],
            subscription_proration_date: current.map(|_| proration_date),
        };
        self.get_query("invoices/upcoming", query).await
    }

    /// Invoices what the subscription owes now (the prorations of a plan change) and
    /// charges the card on file; `key` names the change.
    pub async fn invoice_now(
        &self,
        customer: &str,
        subscription: &str,
        key: &str,
    ) -> Result<Invoice, CallError> {
        let invoice: Invoice = self
            .post(
                "invoices",
                form([("customer", customer), ("subscription", subscription)]),
                format!("invoice-{key}"),
            )
            .await?;
        let Some(id) = invoice.id.clone() else {
            return Ok(invoice);
        };
        if invoice.status.as_deref() == Some("paid") {
            return Ok(invoice);
        }
        self.pay_invoice(&id, "default").await
    }

    /// Charges an open invoice to the customer's default card (`card` names it, so a
    /// new card is a new attempt while a retried request is the same one). A refused
    /// card leaves the invoice open: it is read back as it stands.
    pub async fn pay_invoice(&self, id: &str, card: &str) -> Result<Invoice, CallError> {
        match self
            .post(
                &format!("invoices/{id}/pay"),
                form([]),
                format!("pay-{id}-{card}"),
            )
            .await
        {
            Ok(paid) => Ok(paid),
            Err(CallError::Declined(_)) => self.invoice(id).await,
            Err(other) => Err(other),
        }
    }

    pub async fn invoice(&self, id: &str) -> Result<Invoice, CallError> {
        self.get(&format!("invoices/{id}")).await
    }

    /// Why the invoice's last payment failed, in Stripe's words.
    pub async fn payment_error(&self, payment_intent: &str) -> Result<Option<String>, CallError> {
        let intent: PaymentIntent = self
            .get(&format!("payment_intents/{payment_intent}"))
            .await?;
        Ok(intent.last_payment_error.and_then(|error| error.message))
    }

    /// The product and monthly price of a plan, under ids derived from it so that
    /// running the setup again finds them instead of making more.
    pub async fn ensure_price(
        &self,
        plan: &str,
        name: &str,
        amount_cents: i32,
        currency: &str,
    ) -> Result<String, CallError> {
        let product_id = format!("pulse_{plan}");
        let price_id = format!("pulse_{plan}_monthly");
        if let Err(CallError::Missing(_)) =
            self.get::<Product>(&format!("products/{product_id}")).await
        {
            let _: Product = self
                .post(
                    "products",
                    form([
                        ("id", product_id.as_str()),
                        ("name", &format!("Pulse {name}")),
                    ]),
                    format!("product-{product_id}"),
                )
                .await?;
        }
        match self.get::<PlanRef>(&format!("plans/{price_id}")).await {
            Ok(price) => Ok(price.id),
            Err(CallError::Missing(_)) => {
                let amount = amount_cents.to_string();
                let price: PlanRef = self
                    .post(
                        "plans",
                        form([
                            ("id", price_id.as_str()),
                            ("product", &product_id),
                            ("amount", &amount),
                            ("currency", currency),
                            ("interval", "month"),
                        ]),
                        format!("price-{price_id}-{amount}-{currency}"),
                    )
                    .await?;
                Ok(price.id)
            }
            Err(other) => Err(other),
        }
    }
}

/// A flat form (serde_qs encodes a map by its keys, where a list of pairs would
/// become `0[0]=…`).
fn form<'a, const N: usize>(pairs: [(&'a str, &'a str); N]) -> BTreeMap<&'a str, &'a str> {
    BTreeMap::from(pairs)
}

/// An id that came from a client, checked before it becomes part of a URL path.
fn path_segment(id: &str) -> Result<&str, CallError> {
    if !id.is_empty()
        && id.len() <= 255
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    {
        Ok(id)
    } else {
        Err(CallError::Missing(format!(
            "No such payment method: {id:?}."
        )))
    }
}
