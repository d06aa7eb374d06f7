// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar info`: identify the endpoint.

use peerbar::config::{self, Capability, ConfigSummary};
use peerbar::device::backend::VfioBackend;
use peerbar::endpoint::{request_type_name, Endpoint};
use peerbar::{BarIndex, Error};
use serde::Serialize;

use crate::target::Target;
use crate::units::{hex, human_bytes};
use crate::{GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Identify the endpoint: PCI IDs, class and revision, the register interface version, BAR0 and
BAR2 sizes, what the build implements (CAPABILITIES), the MPS/MRRS/RCB the host configured in
config space next to the values the endpoint itself obeys (STATUS), link speed and width, the
MSI-X capability, and the error counters and error log.

JSON output (--json), stable field names (sizes in bytes, IDs as \"0x\" hex strings, null when
absent):
  schema                   \"peerbar-info/1\"
  target                   \"simulation\" or \"hardware\"
  device                   description of the device
  vfio                     on hardware {backend: \"legacy\"|\"iommufd\", reason}: the VFIO
                           interface the device was opened through and why (--vfio); null
                           for the simulation
  pci.vendor_id, pci.device_id, pci.subsystem_vendor_id, pci.subsystem_id, pci.class_code,
  pci.revision
  pci.capabilities[]       {id, name, offset}
  bars.bar0_bytes, bars.bar2_bytes
  link.speed_gts, link.width, link.max_speed_gts, link.max_width
  config.max_payload_supported_bytes, config.max_payload_bytes,
  config.max_read_request_bytes, config.read_completion_boundary_bytes
  msix                     {table_size, table_bar, table_offset, pba_bar, pba_offset, enabled,
                            function_mask} or null
  endpoint.version, endpoint.version_major, endpoint.version_minor, endpoint.version_patch
  endpoint.bar2_size_bytes  BAR2 size from the BAR2_SIZE registers
  endpoint.capabilities    {datapath_bytes, dma_queues, dma_engine, msix}
  endpoint.status          {link_up, bus_master, max_payload_bytes, max_read_request_bytes,
                            read_completion_boundary_bytes}
  endpoint.errors          {dropped_writes, unsupported_requests, log: null or {cause,
                            request_type, bar, dword_count, offset}}
  warnings[]               inconsistencies found (config space and endpoint disagree, ...)
When the device is not a peerbar endpoint (wrong magic, unsupported version), endpoint is null,
the JSON is still printed, and the exit status is 3.";

#[derive(Serialize, Debug)]
struct InfoReport {
    schema: &'static str,
    target: &'static str,
    device: String,
    vfio: Option<VfioView>,
    pci: PciView,
    bars: BarsView,
    link: Option<LinkView>,
    config: Option<ConfigView>,
    msix: Option<MsixView>,
    endpoint: Option<EndpointView>,
    warnings: Vec<String>,
}

/// The VFIO interface a device on hardware was opened through, and why.
#[derive(Serialize, Debug)]
struct VfioView {
    backend: &'static str,
    reason: String,
}

#[derive(Serialize, Debug)]
struct PciView {
    vendor_id: String,
    device_id: String,
    subsystem_vendor_id: String,
    subsystem_id: String,
    class_code: String,
    revision: u8,
    capabilities: Vec<CapView>,
}

#[derive(Serialize, Debug)]
struct CapView {
    id: String,
    name: &'static str,
    offset: u16,
}

#[derive(Serialize, Debug)]
struct BarsView {
    bar0_bytes: Option<u64>,
    bar2_bytes: Option<u64>,
}

#[derive(Serialize, Debug)]
struct LinkView {
    speed_gts: Option<f64>,
    width: u8,
    max_speed_gts: Option<f64>,
    max_width: u8,
}

#[derive(Serialize, Debug)]
struct ConfigView {
    max_payload_supported_bytes: Option<u32>,
    max_payload_bytes: Option<u32>,
    max_read_request_bytes: Option<u32>,
    read_completion_boundary_bytes: u32,
}

#[derive(Serialize, Debug)]
struct MsixView {
    table_size: u16,
    table_bar: u8,
    table_offset: u64,
    pba_bar: u8,
    pba_offset: u64,
    enabled: bool,
    function_mask: bool,
}

#[derive(Serialize, Debug)]
struct EndpointView {
    version: String,
    version_major: u16,
    version_minor: u8,
    version_patch: u8,
    bar2_size_bytes: u64,
    capabilities: EndpointCapsView,
    status: StatusView,
    errors: ErrorsView,
}

#[derive(Serialize, Debug)]
struct EndpointCapsView {
    datapath_bytes: u8,
    dma_queues: u8,
    dma_engine: bool,
    msix: bool,
}

#[derive(Serialize, Debug)]
struct StatusView {
    link_up: bool,
    bus_master: bool,
    max_payload_bytes: u32,
    max_read_request_bytes: Option<u32>,
    read_completion_boundary_bytes: u32,
}

#[derive(Serialize, Debug)]
struct ErrorsView {
    dropped_writes: u32,
    unsupported_requests: u32,
    log: Option<ErrorLogView>,
}

#[derive(Serialize, Debug)]
struct ErrorLogView {
    cause: String,
    request_type: String,
    bar: u8,
    dword_count: u16,
    offset: u64,
}

pub fn run(target: &mut Target, opts: &GlobalOpts) -> anyhow::Result<Outcome> {
    let summary = config::summary(target.device())?;
    let mut report = report_from_config(target, &summary);
    let endpoint = target.endpoint();
    let endpoint_error = match endpoint {
        Ok(ep) => {
            report.endpoint = Some(endpoint_view(&ep, &mut report.warnings)?);
            cross_check(&mut report);
            None
        }
        Err(e) => Some(e),
    };

    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::print(render(&report))?;
    }
    match endpoint_error {
        None => Ok(Outcome::Ok),
        Some(e) => Err(e),
    }
}

fn report_from_config(target: &Target, s: &ConfigSummary) -> InfoReport {
    let id = &s.identity;
    let dev = target.device();
    InfoReport {
        schema: "peerbar-info/1",
        target: target.kind.as_str(),
        device: target.description.clone(),
        vfio: target.vfio.as_ref().map(|c| VfioView {
            backend: match c.backend {
                VfioBackend::Legacy => "legacy",
                VfioBackend::Iommufd => "iommufd",
            },
            reason: c.reason.clone(),
        }),
        pci: PciView {
            vendor_id: hex(id.vendor_id.into(), 4),
            device_id: hex(id.device_id.into(), 4),
            subsystem_vendor_id: hex(id.subsystem_vendor_id.into(), 4),
            subsystem_id: hex(id.subsystem_id.into(), 4),
            class_code: hex(id.class_code.into(), 6),
            revision: id.revision,
            capabilities: s
                .capabilities
                .iter()
                .map(|c| CapView {
                    id: hex(c.id.into(), 2),
                    name: Capability::name(c.id),
                    offset: c.offset,
                })
                .collect(),
        },
        bars: BarsView {
            bar0_bytes: dev.bar_len(BarIndex::BAR0),
            bar2_bytes: dev.bar_len(BarIndex::BAR2),
        },
        link: s.pcie.map(|p| LinkView {
            speed_gts: p.link_speed.gt_per_s(),
            width: p.link_width,
            max_speed_gts: p.max_link_speed.gt_per_s(),
            max_width: p.max_link_width,
        }),
        config: s.pcie.map(|p| ConfigView {
            max_payload_supported_bytes: p.max_payload_supported,
            max_payload_bytes: p.max_payload,
            max_read_request_bytes: p.max_read_request,
            read_completion_boundary_bytes: p.read_completion_boundary,
        }),
        msix: s.msix.map(|m| MsixView {
            table_size: m.table_size,
            table_bar: m.table_bar.get(),
            table_offset: m.table_offset.get(),
            pba_bar: m.pba_bar.get(),
            pba_offset: m.pba_offset.get(),
            enabled: m.enabled,
            function_mask: m.function_mask,
        }),
        endpoint: None,
        warnings: Vec::new(),
    }
}

fn endpoint_view(ep: &Endpoint, warnings: &mut Vec<String>) -> anyhow::Result<EndpointView> {
    let version = ep.version();
    let bar2_size_bytes = match ep.bar2_size() {
        Ok(size) => size,
        Err(Error::Bar2SizeMismatch { register, bar_len }) => {
            warnings.push(format!(
                "BAR2 size mismatch: the BAR2_SIZE registers say {register} bytes, the BAR is {bar_len} bytes"
            ));
            register
        }
        Err(e) => return Err(e.into()),
    };
    let caps = ep.capabilities()?;
    let status = ep.status()?;
    let counters = ep.error_counters()?;
    let log = ep.error_log()?;
    Ok(EndpointView {
        version: version.to_string(),
        version_major: version.major,
        version_minor: version.minor,
        version_patch: version.patch,
        bar2_size_bytes,
        capabilities: EndpointCapsView {
            datapath_bytes: caps.datapath_bytes,
            dma_queues: caps.dma_queues,
            dma_engine: caps.dma_engine,
            msix: caps.msix,
        },
        status: StatusView {
            link_up: status.link_up,
            bus_master: status.bus_master,
            max_payload_bytes: status.max_payload,
            max_read_request_bytes: status.max_read_request,
            read_completion_boundary_bytes: status.read_completion_boundary,
        },
        errors: ErrorsView {
            dropped_writes: counters.dropped_writes,
            unsupported_requests: counters.unsupported_requests,
            log: log.map(|l| ErrorLogView {
                cause: l.cause.to_string(),
                request_type: request_type_name(l.request_type).to_owned(),
                bar: l.bar_id,
                dword_count: l.dword_count,
                offset: l.offset.get(),
            }),
        },
    })
}

/// Adds warnings where config space and the endpoint's own view disagree.
fn cross_check(report: &mut InfoReport) {
    let (Some(cfg), Some(ep)) = (&report.config, &report.endpoint) else {
        return;
    };
    let st = &ep.status;
    if cfg.max_payload_bytes != Some(st.max_payload_bytes) {
        report.warnings.push(format!(
            "MPS differs: config space {}, endpoint STATUS {} B",
            opt_bytes(cfg.max_payload_bytes),
            st.max_payload_bytes
        ));
    }
    if cfg.max_read_request_bytes != st.max_read_request_bytes {
        report.warnings.push(format!(
            "MRRS differs: config space {}, endpoint STATUS {}",
            opt_bytes(cfg.max_read_request_bytes),
            opt_bytes(st.max_read_request_bytes)
        ));
    }
    if cfg.read_completion_boundary_bytes != st.read_completion_boundary_bytes {
        report.warnings.push(format!(
            "RCB differs: config space {} B, endpoint STATUS {} B",
            cfg.read_completion_boundary_bytes, st.read_completion_boundary_bytes
        ));
    }
    if !st.link_up {
        report
            .warnings
            .push("the endpoint reports the PCIe link down".to_owned());
    }
}

/// Name of the base class of a `0x`-prefixed 6-digit class code.
fn class_name(class_code: &str) -> &'static str {
    match class_code.get(2..4) {
        Some("00") => "unclassified",
        Some("01") => "mass storage controller",
        Some("02") => "network controller",
        Some("03") => "display controller",
        Some("04") => "multimedia controller",
        Some("05") => "memory controller",
        Some("06") => "bridge",
        Some("0b") => "processor",
        Some("0c") => "serial bus controller",
        Some("11") => "signal processing controller",
        Some("12") => "processing accelerator",
        Some("ff") => "unassigned class",
        _ => "other",
    }
}

fn opt_bytes(v: Option<u32>) -> String {
    v.map_or_else(|| "reserved".to_owned(), |b| format!("{b} B"))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn gts(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |g| format!("{g:.1} GT/s"))
}

/// A section of the human-readable table.
struct Section {
    title: &'static str,
    rows: Vec<(&'static str, String)>,
}

fn render(r: &InfoReport) -> String {
    let mut sections = Vec::new();
    let mut rows = vec![
        ("Target", r.target.to_owned()),
        ("Device", r.device.clone()),
    ];
    if let Some(v) = &r.vfio {
        rows.push(("VFIO", format!("{} ({})", v.backend, v.reason)));
    }
    sections.push(Section {
        title: "Device",
        rows,
    });

    let caps = if r.pci.capabilities.is_empty() {
        "none".to_owned()
    } else {
        r.pci
            .capabilities
            .iter()
            .map(|c| format!("{} @{:#x}", c.name, c.offset))
            .collect::<Vec<_>>()
            .join(", ")
    };
    sections.push(Section {
        title: "PCI",
        rows: vec![
            (
                "Vendor:device",
                format!("{}:{}", &r.pci.vendor_id[2..], &r.pci.device_id[2..]),
            ),
            (
                "Subsystem",
                format!(
                    "{}:{}",
                    &r.pci.subsystem_vendor_id[2..],
                    &r.pci.subsystem_id[2..]
                ),
            ),
            (
                "Class",
                format!(
                    "{} ({})",
                    &r.pci.class_code[2..],
                    class_name(&r.pci.class_code)
                ),
            ),
            ("Revision", format!("{:02x}", r.pci.revision)),
            ("Capabilities", caps),
            (
                "BAR0 (registers)",
                r.bars.bar0_bytes.map_or("absent".to_owned(), human_bytes),
            ),
            (
                "BAR2 (peer memory)",
                r.bars.bar2_bytes.map_or("absent".to_owned(), human_bytes),
            ),
        ],
    });

    if let Some(ep) = &r.endpoint {
        let c = &ep.capabilities;
        sections.push(Section {
            title: "Endpoint",
            rows: vec![
                ("Interface version", ep.version.clone()),
                ("BAR2 size (registers)", human_bytes(ep.bar2_size_bytes)),
                (
                    "Datapath",
                    format!(
                        "{} bytes ({} bits)",
                        c.datapath_bytes,
                        u32::from(c.datapath_bytes) * 8
                    ),
                ),
                (
                    "DMA engine",
                    if c.dma_engine {
                        format!("yes, {} queue pairs", c.dma_queues)
                    } else {
                        "no".to_owned()
                    },
                ),
                ("MSI-X", yes_no(c.msix).to_owned()),
                ("Link up", yes_no(ep.status.link_up).to_owned()),
                ("Bus master", yes_no(ep.status.bus_master).to_owned()),
            ],
        });
    } else {
        sections.push(Section {
            title: "Endpoint",
            rows: vec![("Identified", "no (see the error below)".to_owned())],
        });
    }

    let mut pcie_rows = Vec::new();
    if let Some(l) = &r.link {
        pcie_rows.push((
            "Link",
            format!(
                "{} x{} (max {} x{})",
                gts(l.speed_gts),
                l.width,
                gts(l.max_speed_gts),
                l.max_width
            ),
        ));
    }
    if let Some(cfg) = &r.config {
        let st = r.endpoint.as_ref().map(|e| &e.status);
        pcie_rows.push((
            "Max payload (MPS)",
            format!(
                "{} config, {} endpoint, {} supported",
                opt_bytes(cfg.max_payload_bytes),
                st.map_or("-".to_owned(), |s| format!("{} B", s.max_payload_bytes)),
                opt_bytes(cfg.max_payload_supported_bytes)
            ),
        ));
        pcie_rows.push((
            "Max read request (MRRS)",
            format!(
                "{} config, {} endpoint",
                opt_bytes(cfg.max_read_request_bytes),
                st.map_or("-".to_owned(), |s| opt_bytes(s.max_read_request_bytes))
            ),
        ));
        pcie_rows.push((
            "Read completion boundary",
            format!(
                "{} B config, {} endpoint",
                cfg.read_completion_boundary_bytes,
                st.map_or("-".to_owned(), |s| format!(
                    "{} B",
                    s.read_completion_boundary_bytes
                ))
            ),
        ));
    } else {
        pcie_rows.push(("PCI Express capability", "absent".to_owned()));
    }
    match &r.msix {
        Some(m) => pcie_rows.push((
            "MSI-X",
            format!(
                "{} vectors, table BAR{}+{:#x}, PBA BAR{}+{:#x}, {}{}",
                m.table_size,
                m.table_bar,
                m.table_offset,
                m.pba_bar,
                m.pba_offset,
                if m.enabled { "enabled" } else { "disabled" },
                if m.function_mask { ", masked" } else { "" }
            ),
        )),
        None => pcie_rows.push(("MSI-X", "absent".to_owned())),
    }
    sections.push(Section {
        title: "PCI Express",
        rows: pcie_rows,
    });

    if let Some(ep) = &r.endpoint {
        let e = &ep.errors;
        sections.push(Section {
            title: "Errors",
            rows: vec![
                ("Dropped writes", e.dropped_writes.to_string()),
                ("Unsupported requests", e.unsupported_requests.to_string()),
                (
                    "Error log",
                    e.log.as_ref().map_or("empty".to_owned(), |l| {
                        format!(
                            "{} of {} DWORD(s) at BAR{} offset {:#x}: {}",
                            l.request_type, l.dword_count, l.bar, l.offset, l.cause
                        )
                    }),
                ),
            ],
        });
    }

    let width = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|(k, _)| k.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for s in &sections {
        out.push_str(s.title);
        out.push('\n');
        for (k, v) in &s.rows {
            out.push_str(&format!("  {k:<width$}  {v}\n"));
        }
    }
    if !r.warnings.is_empty() {
        out.push_str("Warnings\n");
        for w in &r.warnings {
            out.push_str(&format!("  {w}\n"));
        }
    }
    out
}
