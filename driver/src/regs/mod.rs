//! BAR0 registers (stub, being written).
