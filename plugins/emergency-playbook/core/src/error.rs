//! Input errors, each naming the field (as a JSON Pointer) it is about.

/// An input the playbook cannot be built from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct InputError {
    /// JSON Pointer of the offending field.
    pub pointer: String,
    pub message: String,
}

impl InputError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
