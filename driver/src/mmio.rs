//! Raw-pointer volatile access to mapped device memory (stub, being written).
