//! Seat usage: when taking a seat crosses 80 % of the limit, or fills it, the owners
//! and admins are told, once per crossing.

use pulse_shared::alerts::{AlertKind, AlertSubject};

use crate::alerting::{Audience, NewAlert};

/// The alert a company's owners and admins get when its seats in use go from
/// `before` to `after` of `limit`: every seat taken, or 80 % of them (rounded up); no
/// alert when neither line was crossed (a second computer takes no seat, and usage
/// already past a line stays quiet until it drops below and crosses again).
pub fn crossing(before: i32, after: i32, limit: i32) -> Option<NewAlert> {
    if limit <= 0 || after <= before {
        return None;
    }
    // 80 %, rounded up.
    let high = (limit * 4 + 4) / 5;
    let (title, body) = if before < limit && after >= limit {
        (
            "Every seat is in use".to_owned(),
            format!(
                "All {limit} seats are taken: the next employee cannot be enrolled until an agent is revoked or the plan has more seats."
            ),
        )
    } else if before < high && after >= high {
        (
            format!("{after} of {limit} seats in use"),
            format!(
                "{}% of the company's seats are taken. Revoke agents no longer needed, or choose a plan with more seats.",
                after * 100 / limit
            ),
        )
    } else {
        return None;
    };
    Some(NewAlert {
        kind: AlertKind::SeatUsageHigh,
        title,
        body,
        subject: AlertSubject::default(),
        audience: Audience::Company,
        agents: Vec::new(),
    })
}

/// The alert a company gets when a change of plan leaves more people holding seats
/// than the new limit allows (a subscription ended, or unpaid past its grace period).
pub fn over_limit(used: i32, limit: i32) -> Option<NewAlert> {
    (used > limit).then(|| NewAlert {
        kind: AlertKind::SeatUsageHigh,
        title: format!("{used} people hold seats; the plan has {limit}"),
        body: format!(
            "No one more can be enrolled until agents of {} people are revoked or the company chooses a plan with more seats. The agents already enrolled keep reporting.",
            used - limit + 1
        ),
        subject: AlertSubject::default(),
        audience: Audience::Company,
        agents: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(limit: i32) -> Vec<(i32, String)> {
        (0..=limit + 1)
            .filter_map(|used| crossing(used, used + 1, limit).map(|alert| (used + 1, alert.title)))
            .collect()
    }

    #[test]
    fn eighty_percent_and_full_are_crossed_once_each() {
        assert_eq!(
            titles(5),
            [
                (4, "4 of 5 seats in use".to_owned()),
                (5, "Every seat is in use".to_owned())
            ]
        );
        assert_eq!(
            titles(50),
            [
                (40, "40 of 50 seats in use".to_owned()),
                (50, "Every seat is in use".to_owned())
            ]
        );
        // One seat: full is the only line worth telling.
        assert_eq!(titles(1), [(1, "Every seat is in use".to_owned())]);
    }

    #[test]
    fn a_smaller_plan_tells_only_when_usage_is_over_it() {
        assert!(over_limit(5, 5).is_none());
        let alert = over_limit(8, 5).unwrap();
        assert_eq!(alert.title, "8 people hold seats; the plan has 5");
        assert!(
            alert
                .body
                .starts_with("No one more can be enrolled until agents of 4 people")
        );
    }

    #[test]
    fn no_alert_without_a_new_seat_or_a_limit() {
        assert!(crossing(4, 4, 5).is_none());
        assert!(crossing(5, 4, 5).is_none());
        assert!(crossing(0, 1, 0).is_none());
    }
}
