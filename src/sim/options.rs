//! Strictness switches that imitate stricter cards and readers.

/// Strictness switches, to imitate stricter cards and readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// Accept short EF identifiers in READ BINARY, VERIFY and SIGN (the real card does).
    pub sfi: bool,
    /// Accept extended-length APDUs (the real card does; some readers do not).
    pub extended: bool,
    /// Whether the transport reports extended length as available (a reader's limit).
    pub reader_extended: bool,
    /// Answer responses longer than this many bytes with `61xx` and GET RESPONSE.
    pub chunk_responses: Option<usize>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            sfi: true,
            extended: true,
            reader_extended: true,
            chunk_responses: None,
        }
    }
}
