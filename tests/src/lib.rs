//! End-to-end tests live in tests/tests/; benches in tests/benches/.
