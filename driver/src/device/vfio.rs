//! VFIO backend (stub, being written).
