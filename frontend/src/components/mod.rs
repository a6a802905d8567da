//! Shared widgets: small, styled by `style/main.css`, used by the pages.

mod auth_card;
mod badge;
mod button;
mod card;
mod copy_field;
mod data_table;
mod day_picker;
mod dialog;
mod error_card;
mod form_field;
mod secret_dialog;
mod skeleton;
mod toast;

pub use auth_card::{AuthCard, AuthForm, AuthHeader, AuthSwitch};
pub use badge::{Badge, BadgeTone};
pub use button::{Button, ButtonVariant};
pub use card::{Card, CardActions};
pub use copy_field::CopyField;
pub use data_table::{DataTable, Empty};
pub use day_picker::DayPicker;
pub use dialog::{
    ConfirmDialog, Confirmation, Dialog, FormFooter, FormMessage, focus_first_control,
};
pub use error_card::ErrorCard;
pub use form_field::{FormField, SelectField, SelectOption};
pub use secret_dialog::SecretDialog;
pub use skeleton::Skeleton;
pub use toast::{ToastProvider, Toasts, use_toasts};
