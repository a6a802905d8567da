//! Numbers written for people, the same in the web app and in what the server writes
//! (alert titles, e-mails).

/// `n` with a comma between thousands: `1,234`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_read_with_thousands_separated() {
        for (n, text) in [
            (0, "0"),
            (1, "1"),
            (10, "10"),
            (999, "999"),
            (1_000, "1,000"),
            (1_234, "1,234"),
            (2_160, "2,160"),
            (10_000, "10,000"),
            (123_456, "123,456"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
