//! Cursor pagination: the one shape of every list the API returns.

use serde::{Deserialize, Serialize};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 200;
/// The page size when the client names none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Query parameters of every list endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// How many items to return, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items of this page, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}
