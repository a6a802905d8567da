//! Field rules shared by the server (which enforces them) and the web app (which shows
//! them inline before sending).

use crate::auth::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// Why a value is not acceptable: a stable code and a sentence for people.
pub type Invalid = (&'static str, &'static str);

/// A plausible e-mail address: one `@`, something before it, a dotted domain after it,
/// no spaces, at most 254 characters.
pub fn email(value: &str) -> Result<(), Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(("required", "Enter an e-mail address."));
    }
    if value.chars().count() > 254 {
        return Err(("too_long", "An e-mail address has at most 254 characters."));
    }
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(("invalid", "This is not an e-mail address."))
    }
}

/// A new password: 10 to 256 characters.
pub fn password(value: &str) -> Result<(), Invalid> {
    let length = value.chars().count();
    if length < MIN_PASSWORD_CHARS {
        Err(("too_short", "Use at least 10 characters."))
    } else if length > MAX_PASSWORD_CHARS {
        Err(("too_long", "Use at most 256 characters."))
    } else {
        Ok(())
    }
}

/// A name shown to people: 1 to `max` characters after trimming, no control characters.
pub fn name(value: &str, max: usize) -> Result<(), Invalid> {
    let value = value.trim();
    if value.is_empty() {
        Err(("required", "This cannot be empty."))
    } else if value.chars().count() > max {
        Err(("too_long", "This is too long."))
    } else if value.chars().any(char::is_control) {
        Err(("invalid", "This contains characters that cannot be shown."))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.com",
            " padded@example.com ",
        ] {
            assert_eq!(email(ok), Ok(()), "{ok}");
        }
        for (bad, code) in [
            ("", "required"),
            ("plain", "invalid"),
            ("a@b", "invalid"),
            ("a@@b.c", "invalid"),
            ("a b@c.d", "invalid"),
            ("@b.co", "invalid"),
            ("a@.co", "invalid"),
        ] {
            assert_eq!(email(bad).map_err(|e| e.0), Err(code), "{bad}");
        }
    }

    #[test]
    fn passwords_and_names() {
        assert!(password("0123456789").is_ok());
        assert_eq!(password("short").map_err(|e| e.0), Err("too_short"));
        assert_eq!(password(&"x".repeat(257)).map_err(|e| e.0), Err("too_long"));
        assert!(name("Ada", 10).is_ok());
        assert_eq!(name("  ", 10).map_err(|e| e.0), Err("required"));
        assert_eq!(name("abcdefghijk", 10).map_err(|e| e.0), Err("too_long"));
        assert_eq!(name("a\u{7}", 10).map_err(|e| e.0), Err("invalid"));
    }
}
