//! The one error vault-core reports for bad input: the field at fault and why.

/// Bad input, named by the JSON Pointer of the field at fault so that a caller
/// (a person or an agent) can fix exactly that field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// JSON Pointer into the request, e.g. `/app_name` or `/environments/1`.
    pub field: String,
    /// One sentence saying what is wrong and what is allowed.
    pub message: String,
}

impl InputError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
