//! In-memory fake device (stub, being written).
