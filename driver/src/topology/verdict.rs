// SPDX-License-Identifier: MIT OR Apache-2.0
//! Turning what sysfs says about two functions and the path between them into a [`Verdict`].

use super::{Common, Function, Iommu, PathPort, PortType, Probe, Verdict, VerdictKind};

const ALLOWLIST_HINT: &str = "most recent Intel Xeon and AMD Zen root complexes do; Linux \
    lists the ones known to in its pci_p2pdma host bridge allowlist, drivers/pci/p2pdma.c";

/// Turns the facts into a verdict.
pub(super) fn verdict(
    a: &Function,
    b: &Function,
    common: &Common,
    ports: &[PathPort],
    iommu: &Iommu,
    host_bridge_ids: Option<(u16, u16)>,
    qemu: bool,
) -> Verdict {
    let mut reasons = Vec::new();
    let mut actions = Vec::new();
    let mut ungrouped = Vec::new();

    // Routing.
    let redirecting: Vec<&PathPort> = ports
        .iter()
        .filter(|p| p.acs.found().is_some_and(|acs| acs.control.rr))
        .collect();
    let unreadable: Vec<String> = ports
        .iter()
        .filter_map(|p| match (&p.port_type, &p.acs) {
            (Probe::Unknown(why), _) => Some(format!("port type of {}: {why}", p.bdf)),
            (_, Probe::Unknown(why)) => Some(format!("ACS of {}: {why}", p.bdf)),
            _ => None,
        })
        .collect();
    for p in ports {
        let acs = match &p.acs {
            Probe::Found(acs) => format!(
                "ACS implemented {}, enabled {}",
                acs.capability, acs.control
            ),
            Probe::Absent => "no ACS capability".to_owned(),
            Probe::Unknown(_) => "ACS unknown".to_owned(),
        };
        let kind = match &p.port_type {
            Probe::Found(t) => t.to_string(),
            _ => "port of unknown type".to_owned(),
        };
        reasons.push(format!("{} ({kind}, above {}): {acs}", p.bdf, p.above));
        if p.acs.found().is_some_and(|acs| acs.control.ec) {
            reasons.push(format!(
                "{}: ACS P2P Egress Control is enabled; its egress control vector (which \
                 peerbar does not decode) may block or redirect some peer requests",
                p.bdf
            ));
        }
    }
    for why in &unreadable {
        reasons.push(format!("unknown: {why}"));
    }
    let rr_ports = redirecting
        .iter()
        .map(|p| p.bdf.to_string())
        .collect::<Vec<_>>()
        .join(", ");

    let (kind, summary) = match common {
        Common::DifferentRootComplexes(ha, hb) if ha.domain != hb.domain => (
            VerdictKind::Blocked,
            format!(
                "Blocked: different PCI domains ({:04x} for {}, {:04x} for {}): no common root \
                 complex routes between them",
                ha.domain, a.bdf, hb.domain, b.bdf
            ),
        ),
        Common::DifferentRootComplexes(ha, hb) => (
            VerdictKind::ThroughRootComplex,
            format!(
                "P2P must cross from host bridge {ha} to {hb}: works only if the platform \
                 forwards peer-to-peer between root complexes (often not between CPU sockets)"
            ),
        ),
        Common::Unknown(why) => (VerdictKind::Unknown, format!("Unknown: {why}")),
        Common::RootComplex(host) => {
            if let Some((vendor, device)) = host_bridge_ids {
                reasons.push(format!(
                    "host bridge function {:04x}:{:02x}:00.0 is {vendor:04x}:{device:04x}",
                    host.domain, host.bus
                ));
            }
            (
                VerdictKind::ThroughRootComplex,
                format!(
                    "P2P goes through root complex {host}: works only if the host bridge \
                     forwards peer-to-peer ({ALLOWLIST_HINT})"
                ),
            )
        }
        Common::Bridge { bdf, port_type } => match port_type {
            Probe::Unknown(why) => (
                VerdictKind::Unknown,
                format!("Unknown: the lowest common bridge is {bdf}, of unknown type ({why})"),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) if !redirecting.is_empty() => (
                VerdictKind::ThroughRootComplex,
                format!(
                    "P2P goes through the root complex: both are under switch {bdf}, but ACS \
                     P2P Request Redirect on {rr_ports} sends peer requests up to the root \
                     complex; works only if it forwards peer-to-peer ({ALLOWLIST_HINT})"
                ),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) if !unreadable.is_empty() => (
                VerdictKind::Unknown,
                format!(
                    "Unknown: both are under switch {bdf}, but the ACS state of its ports could \
                     not be read (run as root)"
                ),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) => (
                VerdictKind::Direct,
                format!(
                    "P2P likely works: both under switch {bdf}, ACS redirect off; the switch \
                     routes peer requests directly, so the SSD must name BAR2 by bus address"
                ),
            ),
            Probe::Found(PortType::PcieToPciBridge) | Probe::Absent => (
                VerdictKind::Direct,
                format!(
                    "P2P likely works: both on the conventional PCI bus below bridge {bdf}, \
                     which has no ACS; peers name each other by bus address"
                ),
            ),
            Probe::Found(PortType::RootPort | PortType::SwitchDownstreamPort) => (
                VerdictKind::Unknown,
                format!(
                    "Unknown: both are on the one link below port {bdf} (functions of one \
                     multi-function device); routing between them happens inside that device"
                ),
            ),
            Probe::Found(other) => (
                VerdictKind::Unknown,
                format!("Unknown: the lowest common upstream component {bdf} is a {other}"),
            ),
        },
    };
    // QEMU does not model routing inside emulated switches: a device's DMA goes through the
    // (virtual) IOMMU of its requester ID whatever the topology, then to whatever the address
    // hits, peer BARs included. With an IOMMU that is the root-complex case, minus the host
    // bridge caveat.
    let (mut kind, summary) = if qemu && iommu.active() && kind == VerdictKind::Direct {
        (
            VerdictKind::ThroughRootComplex,
            format!(
                "P2P goes through the virtual IOMMU: this is a QEMU virtual machine, whose \
                 emulated fabric translates every DMA for its requester whatever the switches \
                 (on hardware this topology would route directly; {summary})"
            ),
        )
    } else {
        (kind, summary)
    };
    if qemu {
        reasons.push(
            "this is a QEMU virtual machine (DMI sys_vendor): QEMU delivers peer-to-peer DMA \
             between emulated devices itself, so the host bridge question does not arise"
                .to_owned(),
        );
    }
    if kind == VerdictKind::ThroughRootComplex && !redirecting.is_empty() {
        reasons.push(format!(
            "ACS P2P Request Redirect is enabled on {rr_ports}: peer requests entering there go \
             upstream (and through the IOMMU) instead of across"
        ));
    }

    // The IOMMU.
    let direct = kind == VerdictKind::Direct;
    if !iommu.active() {
        reasons.push(
            "no IOMMU is active (no class/iommu units, no IOMMU groups): DMA addresses are bus \
             addresses, and VFIO cannot open the devices"
                .to_owned(),
        );
        actions.push(
            "for peerbar's VFIO path enable the IOMMU (intel_iommu=on or amd_iommu=on, VT-d / \
             AMD-Vi in firmware)"
                .to_owned(),
        );
        if kind == VerdictKind::ThroughRootComplex {
            actions.push("without an IOMMU the SSD names BAR2 by its bus address".to_owned());
        }
    } else {
        for f in [a, b] {
            match f.iommu_group {
                None => {
                    reasons.push(format!(
                        "{} has no IOMMU group although an IOMMU is active",
                        f.bdf
                    ));
                    ungrouped.push(f.bdf.to_string());
                    kind = VerdictKind::Blocked;
                }
                Some(group) => {
                    let others: Vec<String> = f
                        .group_peers
                        .iter()
                        .filter(|m| !m.vfio_compatible && m.bdf != a.bdf && m.bdf != b.bdf)
                        .map(|m| {
                            format!("{} (driver {})", m.bdf, m.driver.as_deref().unwrap_or("?"))
                        })
                        .collect();
                    if !others.is_empty() {
                        let list = others.join(", ");
                        reasons.push(format!(
                            "IOMMU group {group} of {} also holds {list}, bound to a driver VFIO \
                             does not accept",
                            f.bdf
                        ));
                        actions.push(format!(
                            "unbind {list} (or bind to vfio-pci) before opening {} with VFIO",
                            f.bdf
                        ));
                    }
                }
            }
        }
        match (a.iommu_group, b.iommu_group) {
            (Some(x), Some(y)) if x == y => reasons.push(format!(
                "both are in IOMMU group {x}: the kernel cannot isolate them from each other \
                 (consistent with peer traffic bypassing the IOMMU); VFIO opens them in one \
                 container"
            )),
            (Some(x), Some(y)) => reasons.push(format!(
                "separate IOMMU groups ({x} for {}, {y} for {})",
                a.bdf, b.bdf
            )),
            _ => {}
        }
        if direct {
            actions.push(
                "give the SSD BAR2's bus address (the IOMMU never sees these TLPs, an IOVA \
                 would be wrong)"
                    .to_owned(),
            );
        } else if kind == VerdictKind::ThroughRootComplex {
            actions.push(
                "map the peer BAR into the IOMMU and give the SSD its IOVA: peerbar does this \
                 when both devices are opened in one VFIO container"
                    .to_owned(),
            );
        }
    }
    if kind == VerdictKind::ThroughRootComplex && !qemu {
        actions.push(
            "for direct routing put both devices under one PCIe switch whose downstream ports \
             have ACS P2P Request Redirect off"
                .to_owned(),
        );
    }
    if kind == VerdictKind::Blocked && matches!(common, Common::DifferentRootComplexes(..)) {
        actions.push("move the two devices under one root complex, ideally one switch".to_owned());
    }
    if !unreadable.is_empty() {
        actions.push("run as root to read extended config space (ACS)".to_owned());
    }
    let summary = if !ungrouped.is_empty() {
        actions.push(format!(
            "check that the IOMMU covers {0} (dmesg | grep -i -e DMAR -e AMD-Vi -e iommu); VFIO \
             cannot open a function without a group",
            ungrouped.join(" and ")
        ));
        format!(
            "Blocked: an IOMMU is active but {} has no IOMMU group, so VFIO cannot open it \
             (the path alone: {summary})",
            ungrouped.join(" and ")
        )
    } else {
        summary
    };
    Verdict {
        kind,
        summary,
        reasons,
        actions,
    }
}
