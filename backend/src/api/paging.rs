//! Cursor pagination, the same for every list: `?cursor=&limit=` in, `{items,
//! next_cursor}` out. Handlers ask the database for one row more than the page size;
//! that extra row says whether another page exists.

use std::str::FromStr;

use pulse_shared::Page;
use pulse_shared::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use crate::errors::ApiError;

/// The page size asked for, checked (1 to 200, default 50).
pub fn page_size(limit: Option<u32>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(i64::from(limit))
    } else {
        Err(ApiError::field(
            "limit",
            "out_of_range",
            "Use a page size from 1 to 200.",
        ))
    }
}

/// The decoded cursor: the sort key of the previous page's last item.
pub fn cursor<K: FromStr>(cursor: Option<&str>) -> Result<Option<K>, ApiError> {
    cursor
        .map(|cursor| {
            cursor.parse().map_err(|_| {
                ApiError::field(
                    "cursor",
                    "invalid",
                    "This cursor is not one the API gave out.",
                )
            })
        })
        .transpose()
}

/// A page of at most `limit` items from `rows` (fetched with `limit + 1`), with the
/// cursor of its last row when more follow.
pub fn page<R, T: From<R>>(mut rows: Vec<R>, limit: i64, key: impl Fn(&R) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if has_more {
        rows.last().map(&key)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(T::from).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extra_row_makes_a_cursor() {
        let full: Page<u32> = page(vec![1, 2, 3], 2, u32::to_string);
        assert_eq!(
            (full.items, full.next_cursor),
            (vec![1, 2], Some("2".to_owned()))
        );
        let last: Page<u32> = page(vec![1, 2], 2, u32::to_string);
        assert_eq!((last.items, last.next_cursor), (vec![1, 2], None));
    }

    #[test]
    fn sizes_and_cursors_are_checked() {
        assert_eq!(page_size(None).ok(), Some(50));
        assert!(page_size(Some(0)).is_err() && page_size(Some(201)).is_err());
        assert_eq!(cursor::<i64>(Some("7")).ok(), Some(Some(7)));
        assert!(cursor::<i64>(Some("x")).is_err());
    }
}
