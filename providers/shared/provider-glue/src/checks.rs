//! Checks every provider makes on the lists a request names.

use std::collections::BTreeSet;

use crate::error::{InputError, shown};

/// A list that is not empty, holds at most `most` items and none twice.
pub fn check_list(field: &str, items: &[String], most: usize) -> Result<(), InputError> {
    check_list_by(field, items, most, str::to_owned)
}

/// [`check_list`] where two items are the same when `key` makes them equal:
/// `str::to_ascii_lowercase` for names the provider compares without case.
pub fn check_list_by(
    field: &str,
    items: &[String],
    most: usize,
    key: impl Fn(&str) -> String,
) -> Result<(), InputError> {
    if items.is_empty() {
        return Err(InputError::new(field, "name at least one"));
    }
    if items.len() > most {
        return Err(InputError::new(
            field,
            format!("at most {most} are supported"),
        ));
    }
    let mut seen = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        if !seen.insert(key(item)) {
            return Err(InputError::new(
                format!("{field}/{index}"),
                format!("`{}` is named twice", shown(item)),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded_and_without_twins() {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_list("/s", &list(&["a", "b"]), 2).is_ok());
        assert_eq!(check_list("/s", &list(&[]), 2).unwrap_err().field, "/s");
        assert_eq!(
            check_list("/s", &list(&["a", "b", "c"]), 2)
                .unwrap_err()
                .field,
            "/s"
        );
        assert_eq!(
            check_list("/s", &list(&["a", "a"]), 2).unwrap_err().field,
            "/s/1"
        );
        assert!(check_list("/s", &list(&["a", "A"]), 2).is_ok());
        let error = check_list_by("/s", &list(&["a", "A"]), 2, str::to_ascii_lowercase);
        assert_eq!(error.unwrap_err().field, "/s/1");
    }
}
