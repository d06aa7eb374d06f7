//! peerbar-sim (being written).
