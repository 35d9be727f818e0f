//! The one error a provider gives for bad input: where (a JSON Pointer into
//! the tool's input) and what was expected.

/// Input refused: `field` is the JSON Pointer of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    pub field: String,
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

/// A refused input is the kit's `invalid-input` error, with its pointer.
impl From<InputError> for skill_pdk::ToolError {
    fn from(error: InputError) -> Self {
        skill_pdk::ToolError::invalid_input(error.field, error.message)
    }
}

/// `text` for an error message: escaped, and cut so that a huge value cannot
/// flood the message.
pub fn shown(text: &str) -> String {
    const MOST: usize = 80;
    let escaped: String = text.escape_debug().take(MOST).collect();
    if text.escape_debug().nth(MOST).is_some() {
        format!("{escaped}…")
    } else {
        escaped
    }
}
