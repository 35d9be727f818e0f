//! Lists of names in a request: not empty, not too long, nothing named twice.

use std::collections::BTreeSet;

use crate::error::{InputError, shown};

/// A list that is not empty, has no duplicates and holds at most `most`.
pub fn check_list(field: &str, items: &[String], most: usize) -> Result<(), InputError> {
    if items.is_empty() {
        return Err(InputError::new(field, "name at least one"));
    }
    check_most(field, items, most)?;
    check_unique(field, items)
}

/// At most `most` items.
pub fn check_most<T>(field: &str, items: &[T], most: usize) -> Result<(), InputError> {
    if items.len() > most {
        return Err(InputError::new(
            field,
            format!("at most {most} are supported"),
        ));
    }
    Ok(())
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
    check_most(field, items, most)?;
    check_unique_by(field, items, key)
}

/// No item twice; the second is the one named.
pub fn check_unique<S: AsRef<str>>(field: &str, items: &[S]) -> Result<(), InputError> {
    check_unique_by(field, items, str::to_owned)
}

/// No two items with the same `key`; the second is the one named.
fn check_unique_by<S: AsRef<str>>(
    field: &str,
    items: &[S],
    key: impl Fn(&str) -> String,
) -> Result<(), InputError> {
    let mut seen = BTreeSet::new();
    for (index, item) in items.iter().enumerate() {
        if !seen.insert(key(item.as_ref())) {
            return Err(InputError::new(
                format!("{field}/{index}"),
                format!("`{}` is named twice", shown(item.as_ref())),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_short_non_empty_and_distinct() {
        let names = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(check_list("/s", &[], 2).unwrap_err().field, "/s");
        assert_eq!(
            check_list("/s", &names(&["a", "b", "c"]), 2)
                .unwrap_err()
                .field,
            "/s"
        );
        assert_eq!(
            check_list("/s", &names(&["a", "a"]), 2).unwrap_err().field,
            "/s/1"
        );
        assert!(check_list("/s", &names(&["a", "b"]), 2).is_ok());
    }

    #[test]
    fn names_compared_without_case_are_twins() {
        let names = vec!["Db".to_owned(), "dB".to_owned()];
        assert!(check_list("/s", &names, 2).is_ok());
        let error = check_list_by("/s", &names, 2, str::to_ascii_lowercase);
        assert_eq!(error.unwrap_err().field, "/s/1");
    }
}
