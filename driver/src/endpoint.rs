//! An opened peerbar endpoint (stub, being written).
/// Placeholder.
pub struct Endpoint;
