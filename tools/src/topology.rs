// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar topology`: what decides whether P2P DMA between two PCI functions works here.
//!
//! Reads sysfs only (peerbar::topology), so it runs whatever driver is bound and needs neither
//! VFIO nor the simulation.

use std::path::PathBuf;

use clap::Args;
use peerbar::device::backend::{self, VfioBackend, VfioFacts, VfioRequest};
use peerbar::device::vfio::Bdf;
use peerbar::topology::{Acs, AcsBits, Common, Function, Iommu, Pair, Probe, Sysfs};
use serde::Serialize;

use crate::units::{hex, human_bytes};
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Report what decides whether peer-to-peer DMA between PCI functions works on this machine, from
Linux sysfs alone (no VFIO needed; works whatever driver is bound).

Without BDFs: every PCI function with its IDs, class, driver, IOMMU group and path to the root.
With BDFs: each function in detail (IDs, class, driver, IOMMU group and its other members, path
to the root with port types, BAR sizes, link state, MPS/MRRS, ACS), then for every pair: the
lowest common upstream component (a PCIe switch, a root port, only the root complex, or
different root complexes / PCI domains), the ACS capability and control bits of every root and
switch downstream port between each function and it, the IOMMU groups, and a verdict with the
facts behind it and what to do:
  direct                 a switch routes peer requests directly (ACS redirect off): the IOMMU
                         never sees them, so peers must be given bus addresses
  through_root_complex   peer requests go up to the root complex (no common switch, or ACS P2P
                         Request Redirect on): works only if the host bridge forwards P2P; with
                         the IOMMU on, the peer BAR must be mapped into the IOMMU
  blocked                different PCI domains, or an IOMMU without a group for a device
  unknown                sysfs cannot tell (e.g. config space beyond 64 bytes needs root)

Reading ACS (extended config space) needs root: without it the kernel shows only the first 64
bytes of each config file, and peerbar says so instead of guessing.

JSON output (--json), stable field names (IDs as \"0x\" hex strings, sizes in bytes, null when
unknown or absent):
  schema                  \"peerbar-topology/1\"
  sysfs                   the sysfs root read
  machine_vendor          DMI sys_vendor (\"QEMU\" in a QEMU guest), null when absent
  iommu                   {active, units[], groups, iommufd}
  functions[]             {bdf, vendor_id, device_id, class, driver, iommu_group, vfio_cdev,
                           iommu_group_peers[] {bdf, driver, vfio_compatible}, host_bridge,
                           upstream[], config_bytes, pcie {state, reason, port_type,
                           max_payload_bytes, max_read_request_bytes}, acs, bars[] {index,
                           start, size_bytes, kind, prefetchable}, link {speed, width,
                           max_speed, max_width, up}}
  pairs[]                 {a, b, common {kind, bdf, port_type, host_bridges[], reason},
                           ports[] {bdf, above, port_type, acs}, same_iommu_group,
                           verdict {kind, summary, reasons[], actions[]}}
  acs                     {state: found|absent|unknown, reason, offset, capability, control};
                          capability and control are {sv, tb, rr, cr, uf, ec, dt}
  common.kind             switch, same_link, pci_bridge, bridge, root_complex,
                          different_root_complexes, different_domains, unknown";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar topology                               every PCI function, with its IOMMU group
  sudo peerbar topology 0000:03:00.0 0000:04:00.0  the FPGA and the SSD: can they do P2P?
  peerbar topology 03:00.0 04:00.0 --json | jq .pairs[0].verdict
  peerbar topology --sysfs ./fake-sys 01:00.0 02:00.0    a copied or fake sysfs tree

Exit status: 0 when the report was made (whatever the verdict), 2 for a malformed BDF,
3 when a BDF is not in <sysfs>/bus/pci/devices.";

#[derive(Args, Debug)]
pub struct TopologyArgs {
    /// PCI functions to analyse (0000:01:00.0 or 01:00.0); every pair of them is analysed.
    /// Without any, every PCI function is listed.
    #[arg(value_name = "BDF")]
    pub bdfs: Vec<String>,

    /// Root of the sysfs tree to read.
    #[arg(long, value_name = "DIR", default_value = "/sys")]
    pub sysfs: PathBuf,
}

/// Options checked before anything is read.
pub fn check_args(args: &TopologyArgs, global: &GlobalOpts) -> anyhow::Result<Vec<Bdf>> {
    if global.device.is_some() {
        return Err(usage_error(
            "topology takes the PCI addresses as arguments (peerbar topology <BDF> <BDF>), not --device",
        ));
    }
    let mut bdfs: Vec<Bdf> = Vec::new();
    for text in &args.bdfs {
        let bdf: Bdf = text.parse().map_err(|e| usage_error(format!("{e}")))?;
        if bdfs.contains(&bdf) {
            return Err(usage_error(format!("{bdf} is named twice")));
        }
        bdfs.push(bdf);
    }
    Ok(bdfs)
}

pub fn run(args: &TopologyArgs, global: &GlobalOpts) -> anyhow::Result<Outcome> {
    let bdfs = check_args(args, global)?;
    let sysfs = Sysfs::new(&args.sysfs);
    let iommu = sysfs.iommu();
    let listing = bdfs.is_empty();
    let functions: Vec<Function> = if listing {
        sysfs
            .functions()
            .into_iter()
            .filter_map(|bdf| match sysfs.function(bdf) {
                Ok(f) => Some(f),
                // A function removed while listing: not worth failing the whole list.
                Err(err) => {
                    log::warn!("{bdf}: {:#}", anyhow::Error::from(err));
                    None
                }
            })
            .collect()
    } else {
        bdfs.iter()
            .map(|&bdf| sysfs.function(bdf))
            .collect::<Result<_, _>>()?
    };
    let mut pairs = Vec::new();
    if !listing {
        for (i, a) in functions.iter().enumerate() {
            for b in &functions[i + 1..] {
                pairs.push(sysfs.pair(a, b, &iommu)?);
            }
        }
    }
    if global.json {
        let report = Report {
            schema: "peerbar-topology/1",
            sysfs: args.sysfs.display().to_string(),
            machine_vendor: sysfs.machine_vendor(),
            iommu: IommuView {
                active: iommu.active(),
                units: iommu.units.clone(),
                groups: iommu.groups,
                iommufd: iommu.iommufd,
            },
            functions: functions.iter().map(function_view).collect(),
            pairs: pairs.iter().map(pair_view).collect(),
        };
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else if listing {
        print_listing(&sysfs, &iommu, &functions, global.vfio)?;
    } else {
        print_details(&sysfs, &iommu, &functions, &pairs, global.vfio)?;
    }
    Ok(Outcome::Ok)
}

// ---- JSON ----

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    sysfs: String,
    machine_vendor: Option<String>,
    iommu: IommuView,
    functions: Vec<FunctionView>,
    pairs: Vec<PairView>,
}

#[derive(Serialize)]
struct IommuView {
    active: bool,
    units: Vec<String>,
    groups: usize,
    /// The kernel offers iommufd (/dev/iommu).
    iommufd: bool,
}

#[derive(Serialize)]
struct FunctionView {
    bdf: String,
    vendor_id: Option<String>,
    device_id: Option<String>,
    class: Option<String>,
    driver: Option<String>,
    iommu_group: Option<u32>,
    /// `vfioN` of the function's VFIO device cdev `/dev/vfio/devices/vfioN`, if it has one.
    vfio_cdev: Option<String>,
    iommu_group_peers: Vec<MemberView>,
    host_bridge: Option<String>,
    upstream: Vec<String>,
    config_bytes: usize,
    pcie: PcieView,
    acs: AcsView,
    bars: Vec<BarView>,
    link: LinkView,
}

#[derive(Serialize)]
struct MemberView {
    bdf: String,
    driver: Option<String>,
    vfio_compatible: bool,
}

#[derive(Serialize)]
struct PcieView {
    state: &'static str,
    reason: Option<String>,
    port_type: Option<&'static str>,
    max_payload_bytes: Option<u32>,
    max_read_request_bytes: Option<u32>,
}

#[derive(Serialize)]
struct AcsView {
    state: &'static str,
    reason: Option<String>,
    offset: Option<String>,
    capability: Option<AcsBitsView>,
    control: Option<AcsBitsView>,
}

#[derive(Serialize)]
struct AcsBitsView {
    sv: bool,
    tb: bool,
    rr: bool,
    cr: bool,
    uf: bool,
    ec: bool,
    dt: bool,
}

#[derive(Serialize)]
struct BarView {
    index: u8,
    start: String,
    size_bytes: u64,
    kind: &'static str,
    prefetchable: bool,
}

#[derive(Serialize)]
struct LinkView {
    speed: Option<String>,
    width: Option<u8>,
    max_speed: Option<String>,
    max_width: Option<u8>,
    up: Option<bool>,
}

#[derive(Serialize)]
struct PairView {
    a: String,
    b: String,
    common: CommonView,
    ports: Vec<PortView>,
    same_iommu_group: Option<bool>,
    verdict: VerdictView,
}

#[derive(Serialize)]
struct CommonView {
    kind: &'static str,
    bdf: Option<String>,
    port_type: Option<&'static str>,
    host_bridges: Vec<String>,
    reason: Option<String>,
}

#[derive(Serialize)]
struct PortView {
    bdf: String,
    above: String,
    port_type: Option<&'static str>,
    acs: AcsView,
}

#[derive(Serialize)]
struct VerdictView {
    kind: &'static str,
    summary: String,
    reasons: Vec<String>,
    actions: Vec<String>,
}

fn state<T>(probe: &Probe<T>) -> (&'static str, Option<String>) {
    match probe {
        Probe::Found(_) => ("found", None),
        Probe::Absent => ("absent", None),
        Probe::Unknown(why) => ("unknown", Some(why.clone())),
    }
}

fn acs_bits_view(bits: AcsBits) -> AcsBitsView {
    AcsBitsView {
        sv: bits.sv,
        tb: bits.tb,
        rr: bits.rr,
        cr: bits.cr,
        uf: bits.uf,
        ec: bits.ec,
        dt: bits.dt,
    }
}

fn acs_view(acs: &Probe<Acs>) -> AcsView {
    let (state, reason) = state(acs);
    let found = acs.found();
    AcsView {
        state,
        reason,
        offset: found.map(|a| hex(u64::from(a.offset), 3)),
        capability: found.map(|a| acs_bits_view(a.capability)),
        control: found.map(|a| acs_bits_view(a.control)),
    }
}

fn function_view(f: &Function) -> FunctionView {
    let (pcie_state, pcie_reason) = state(&f.pcie);
    let pcie = f.pcie.found();
    FunctionView {
        bdf: f.bdf.to_string(),
        vendor_id: f.vendor_id.map(|v| hex(v.into(), 4)),
        device_id: f.device_id.map(|v| hex(v.into(), 4)),
        class: f.class.map(|c| hex(c.into(), 6)),
        driver: f.driver.clone(),
        iommu_group: f.iommu_group,
        vfio_cdev: f.vfio_cdev.clone(),
        iommu_group_peers: f
            .group_peers
            .iter()
            .map(|m| MemberView {
                bdf: m.bdf.to_string(),
                driver: m.driver.clone(),
                vfio_compatible: m.vfio_compatible,
            })
            .collect(),
        host_bridge: f.host_bridge.map(|h| h.to_string()),
        upstream: f.upstream.iter().map(Bdf::to_string).collect(),
        config_bytes: f.config_len,
        pcie: PcieView {
            state: pcie_state,
            reason: pcie_reason,
            port_type: f.port_type().found().map(|t| t.name()),
            max_payload_bytes: pcie.and_then(|p| p.max_payload),
            max_read_request_bytes: pcie.and_then(|p| p.max_read_request),
        },
        acs: acs_view(&f.acs),
        bars: f
            .bars
            .iter()
            .map(|b| BarView {
                index: b.index,
                start: hex(b.start, 16),
                size_bytes: b.size,
                kind: bar_kind(b),
                prefetchable: b.is_prefetchable(),
            })
            .collect(),
        link: LinkView {
            speed: f.link.speed.clone(),
            width: f.link.width,
            max_speed: f.link.max_speed.clone(),
            max_width: f.link.max_width,
            up: f.link.up(),
        },
    }
}

fn bar_kind(bar: &peerbar::topology::Bar) -> &'static str {
    if bar.is_io() {
        "io"
    } else if bar.is_64bit() {
        "mem64"
    } else {
        "mem32"
    }
}

fn pair_view(p: &Pair) -> PairView {
    let common = match &p.common {
        Common::Bridge { bdf, port_type } => CommonView {
            kind: p.common.kind(),
            bdf: Some(bdf.to_string()),
            port_type: port_type.found().map(|t| t.name()),
            host_bridges: Vec::new(),
            reason: state(port_type).1,
        },
        Common::RootComplex(host) => CommonView {
            kind: p.common.kind(),
            bdf: None,
            port_type: None,
            host_bridges: vec![host.to_string()],
            reason: None,
        },
        Common::DifferentRootComplexes(a, b) => CommonView {
            kind: p.common.kind(),
            bdf: None,
            port_type: None,
            host_bridges: vec![a.to_string(), b.to_string()],
            reason: None,
        },
        Common::Unknown(why) => CommonView {
            kind: p.common.kind(),
            bdf: None,
            port_type: None,
            host_bridges: Vec::new(),
            reason: Some(why.clone()),
        },
    };
    PairView {
        a: p.a.to_string(),
        b: p.b.to_string(),
        common,
        ports: p
            .ports
            .iter()
            .map(|port| PortView {
                bdf: port.bdf.to_string(),
                above: port.above.to_string(),
                port_type: port.port_type.found().map(|t| t.name()),
                acs: acs_view(&port.acs),
            })
            .collect(),
        same_iommu_group: p.same_iommu_group,
        verdict: VerdictView {
            kind: p.verdict.kind.name(),
            summary: p.verdict.summary.clone(),
            reasons: p.verdict.reasons.clone(),
            actions: p.verdict.actions.clone(),
        },
    }
}

// ---- human output ----

fn iommu_line(sysfs: &Sysfs, iommu: &Iommu, request: VfioRequest) -> String {
    if iommu.active() {
        format!(
            "IOMMU: active ({} unit(s): {}; {} group(s)); {}",
            iommu.units.len(),
            if iommu.units.is_empty() {
                "none listed".to_owned()
            } else {
                iommu.units.join(", ")
            },
            iommu.groups,
            vfio_path_line(iommu, request)
        )
    } else {
        format!(
            "IOMMU: not active (nothing in {0}/class/iommu or {0}/kernel/iommu_groups)",
            sysfs.root().display()
        )
    }
}

/// Which VFIO interface peerbar opens devices through, and why, for the machine as a whole
/// (each function's own line gives the driver's choice for it).
fn vfio_path_line(iommu: &Iommu, request: VfioRequest) -> &'static str {
    match (iommu.iommufd, request) {
        (true, VfioRequest::Legacy) => "the kernel offers iommufd (/dev/iommu) and VFIO device cdevs, but --vfio legacy makes peerbar use the legacy VFIO container (/dev/vfio/vfio)",
        (true, _) => "the kernel offers iommufd (/dev/iommu): peerbar opens a function through its VFIO device cdev with iommufd when it has one, through the legacy container otherwise (--vfio legacy forces the container)",
        (false, _) => "VFIO through the legacy container (/dev/vfio/vfio): this kernel has no iommufd (no class/misc/iommu)",
    }
}

/// The VFIO line of one function bound to vfio-pci (or with a cdev): which interface peerbar
/// opens it through and why, decided by the driver's own [`backend::choose`].
fn function_vfio_line(f: &Function, iommu: &Iommu, request: VfioRequest) -> Option<String> {
    if f.vfio_cdev.is_none() && f.driver.as_deref() != Some("vfio-pci") {
        return None;
    }
    let cdev = f
        .vfio_cdev
        .as_ref()
        .map(|c| format!("cdev /dev/vfio/devices/{c} (iommufd); "))
        .unwrap_or_default();
    let facts = VfioFacts {
        iommufd: iommu.iommufd,
        cdevs: vec![(f.bdf, f.vfio_cdev.clone())],
    };
    Some(match backend::choose(request, &facts) {
        Ok(c) if c.backend == VfioBackend::Iommufd => format!(
            "{cdev}peerbar uses /dev/vfio/devices/{} with /dev/iommu: {}",
            opt(f.vfio_cdev.as_deref()),
            c.reason
        ),
        Ok(c) => format!(
            "{cdev}peerbar uses /dev/vfio/{} (the legacy container): {}",
            opt(f.iommu_group),
            c.reason
        ),
        Err(e) => format!("{cdev}peerbar cannot open it: {e}"),
    })
}

fn ids(f: &Function) -> String {
    match (f.vendor_id, f.device_id) {
        (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
        _ => "????:????".to_owned(),
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn print_listing(
    sysfs: &Sysfs,
    iommu: &Iommu,
    functions: &[Function],
    request: VfioRequest,
) -> anyhow::Result<()> {
    outln!("{}", iommu_line(sysfs, iommu, request))?;
    if functions.is_empty() {
        outln!(
            "no PCI functions in {} (a container or VM without PCI devices, or not a Linux sysfs)",
            sysfs.root().join("bus/pci/devices").display()
        )?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = functions
        .iter()
        .map(|f| {
            let path = f
                .host_bridge
                .iter()
                .map(|h| h.to_string())
                .chain(f.upstream.iter().map(Bdf::to_string))
                .collect::<Vec<_>>()
                .join(" > ");
            vec![
                f.bdf.to_string(),
                ids(f),
                opt(f.class.map(|c| format!("{c:06x}"))),
                opt(f.driver.as_deref()),
                opt(f.iommu_group),
                match f.port_type() {
                    Probe::Found(t) => t.to_string(),
                    Probe::Absent => "PCI".to_owned(),
                    Probe::Unknown(_) => "?".to_owned(),
                },
                path,
            ]
        })
        .collect();
    crate::out::print(crate::units::render_table(
        &[
            "BDF",
            "ID",
            "class",
            "driver",
            "group",
            "PCIe type",
            "path from the root",
        ],
        &rows,
    ))?;
    if functions
        .iter()
        .any(|f| matches!(f.pcie, Probe::Unknown(_)))
    {
        outln!("PCIe type '?': config space beyond the header is readable only as root")?;
    }
    Ok(())
}

fn print_details(
    sysfs: &Sysfs,
    iommu: &Iommu,
    functions: &[Function],
    pairs: &[Pair],
    request: VfioRequest,
) -> anyhow::Result<()> {
    outln!("{}", iommu_line(sysfs, iommu, request))?;
    if let Some(vendor) = sysfs.machine_vendor() {
        outln!("machine: {vendor} (DMI)")?;
    }
    for f in functions {
        outln!()?;
        outln!(
            "{}  {}  class {}  driver {}",
            f.bdf,
            ids(f),
            opt(f.class.map(|c| format!("{c:06x}"))),
            opt(f.driver.as_deref())
        )?;
        let path: Vec<String> = f
            .host_bridge
            .iter()
            .map(|h| h.to_string())
            .chain(f.upstream.iter().map(|&bdf| {
                let kind = sysfs
                    .function(bdf)
                    .ok()
                    .and_then(|p| p.port_type().found().map(|t| format!(" ({t})")))
                    .unwrap_or_default();
                format!("{bdf}{kind}")
            }))
            .chain([f.bdf.to_string()])
            .collect();
        outln!("  path     {}", path.join(" > "))?;
        let group = match f.iommu_group {
            None => "none".to_owned(),
            Some(g) if f.group_peers.is_empty() => format!("{g} (alone)"),
            Some(g) => {
                let peers: Vec<String> = f
                    .group_peers
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {}{}",
                            m.bdf,
                            m.driver.as_deref().unwrap_or("no driver"),
                            if m.vfio_compatible {
                                ""
                            } else {
                                " [blocks VFIO]"
                            }
                        )
                    })
                    .collect();
                format!("{g}, with {}", peers.join(", "))
            }
        };
        outln!("  group    {group}")?;
        if let Some(line) = function_vfio_line(f, iommu, request) {
            outln!("  vfio     {line}")?;
        }
        match &f.pcie {
            Probe::Found(p) => outln!(
                "  PCIe     {}; MPS {}, MRRS {}",
                f.port_type().found().map_or("?".into(), |t| t.to_string()),
                opt(p.max_payload.map(|b| format!("{b} B"))),
                opt(p.max_read_request.map(|b| format!("{b} B")))
            ),
            Probe::Absent => outln!("  PCIe     no PCI Express capability (conventional PCI)"),
            Probe::Unknown(why) => outln!("  PCIe     unknown: {why}"),
        }?;
        let link = &f.link;
        match link.up() {
            None => outln!("  link     no link attributes in sysfs"),
            Some(up) => {
                let max = match (&link.max_speed, link.max_width) {
                    (Some(speed), Some(width)) => format!("; max {speed} x{width}"),
                    _ => String::new(),
                };
                outln!(
                    "  link     {} x{} ({}{max})",
                    opt(link.speed.as_deref()),
                    opt(link.width),
                    if up { "up" } else { "DOWN" },
                )
            }
        }?;
        let bars: Vec<String> = f
            .bars
            .iter()
            .map(|b| {
                format!(
                    "BAR{} {} {}{}",
                    b.index,
                    human_bytes(b.size),
                    bar_kind(b),
                    if b.is_prefetchable() { " pref" } else { "" }
                )
            })
            .collect();
        outln!(
            "  BARs     {}",
            if bars.is_empty() {
                "none".into()
            } else {
                bars.join(", ")
            }
        )?;
    }
    for p in pairs {
        outln!()?;
        outln!("{} <-> {}", p.a, p.b)?;
        let common = match &p.common {
            Common::Bridge { bdf, .. } => format!("{} {bdf}", p.common.kind().replace('_', " ")),
            Common::RootComplex(h) => format!("root complex {h} only"),
            Common::DifferentRootComplexes(a, b) => format!("none: {a} and {b}"),
            Common::Unknown(why) => format!("unknown: {why}"),
        };
        outln!("  common   {common}")?;
        outln!("  verdict  {}", p.verdict.summary)?;
        for r in &p.verdict.reasons {
            outln!("  because  {r}")?;
        }
        for a in &p.verdict.actions {
            outln!("  do       {a}")?;
        }
    }
    Ok(())
}
