//! Stable sorting through one copy of the standard library's sort: `sort_by_key` and
//! `sort` compile the whole merge sort (about 2 KB of WASM) for every element type and
//! key, so here only the indices are sorted, with the comparison behind a `dyn`, and
//! the items are then put in that order.

use std::cmp::Ordering;

/// Sorts `items` by `key`, keeping the order of equal keys (as `sort_by_key`).
pub fn by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let keys: Vec<K> = items.iter().map(key).collect();
    let order = indices_ordered(keys.len(), &|a, b| keys[a].cmp(&keys[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|index| slots[index].take()));
}

/// Sorts `items` (as `sort`).
pub fn ascending<T: Ord + Clone>(items: &mut Vec<T>) {
    by_key(items, T::clone);
}

/// `0..len` in the order `compare` gives, equal ones kept in place.
fn indices_ordered(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_sorted_by_their_key_and_equal_keys_keep_their_order() {
        let mut people = vec![("bo", 2), ("al", 1), ("cy", 2), ("di", 1)];
        by_key(&mut people, |(_, rank)| *rank);
        assert_eq!(people, [("al", 1), ("di", 1), ("bo", 2), ("cy", 2)]);

        let mut days = vec![5, 1, 3, 1];
        ascending(&mut days);
        assert_eq!(days, [1, 1, 3, 5]);
    }
}
