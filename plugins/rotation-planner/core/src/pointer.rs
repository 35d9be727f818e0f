//! JSON Pointers (RFC 6901) for problem locations.

/// Appends one reference token to a pointer, escaping `~` as `~0` and `/` as `~1`
/// (in that order, so an escaped `/` is not re-escaped).
pub(crate) fn push(base: &str, token: &str) -> String {
    let mut pointer = String::with_capacity(base.len() + token.len() + 1);
    pointer.push_str(base);
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            other => pointer.push(other),
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_tilde_and_slash() {
        assert_eq!(push("/secrets", "3"), "/secrets/3");
        assert_eq!(push("", "a/b~c"), "/a~1b~0c");
        assert_eq!(push("/x", "~1"), "/x/~01");
    }
}
