// SPDX-License-Identifier: MIT OR Apache-2.0
use std::path::Path;

use peerbar::dma::sgl::{self, SglBuilder};
use peerbar::dma::wire::SglDescriptor;
use peerbar::BusAddr;

use super::parse::*;
use super::*;

fn data(loc: Location, len: u32, origin: Origin) -> Entry {
    Entry {
        data: Some(loc),
        len,
        origin,
    }
}

#[test]
fn max_entries_is_the_most_the_descriptor_limit_allows() {
    let descriptors = |n: usize| {
        let entries = vec![sgl::SglEntry::BitBucket { len: 1 }; n];
        (SglBuilder::default().list_len(&entries) / SglDescriptor::SIZE) as u64
    };
    assert!(descriptors(MAX_ENTRIES) <= sgl::DESCRIPTOR_LIMIT);
    assert!(descriptors(MAX_ENTRIES + 1) > sgl::DESCRIPTOR_LIMIT);
}

#[test]
fn text_parses_every_form() {
    let text = "\
# a comment line

host:+0x100 4KiB            # trailing comment
bar2:+4K    0x1000   data
0x1234_5000 4096
305419264   1M
-           512      bitbucket
HOST:+0     4k
";
    let e = parse_text(text).unwrap();
    assert_eq!(
        e,
        vec![
            data(Location::Host(0x100), 4096, Origin::Line(3)),
            data(Location::Bar2(4096), 4096, Origin::Line(4)),
            data(Location::Bus(0x1234_5000), 4096, Origin::Line(5)),
            data(Location::Bus(305_419_264), 1 << 20, Origin::Line(6)),
            Entry {
                data: None,
                len: 512,
                origin: Origin::Line(7)
            },
            data(Location::Host(0), 4096, Origin::Line(8)),
        ]
    );
}

#[test]
fn text_errors_name_the_line_and_the_problem() {
    for (text, needles) in [
        ("host:+0 4k\nfoo:+0 4k", &["line 2", "unknown address"][..]),
        ("host:0 4k", &["line 1", "host:+OFFSET"]),
        ("12q 4k", &["line 1", "unknown address"]),
        ("host:+0 4q", &["line 1", "bad length"]),
        ("host:+0 0", &["line 1", "zero-length"]),
        ("host:+0 4GiB", &["line 1", "4 GiB - 1"]),
        ("- 4k", &["line 1", "needs an address"]),
        ("host:+0 4k bitbucket", &["line 1", "takes `-`"]),
        ("host:+0 4k frob", &["line 1", "unknown type"]),
        ("\n\nhost:+0", &["line 3", "ADDRESS LENGTH"]),
        ("host:+0 1 data extra", &["line 1", "found 4 field"]),
    ] {
        let err = parse_text(text).unwrap_err().to_string();
        for n in needles {
            assert!(err.contains(n), "{text:?}: {err:?} lacks {n:?}");
        }
    }
}

#[test]
fn json_parses_and_names_entries() {
    let e = parse_json(
        r#"{"entries": [
            {"address": "host:+0x100", "length": "4KiB", "type": "data"},
            {"address": 4096, "length": 512},
            {"length": 16, "type": "bitbucket"},
            {"address": "-", "length": 16, "type": "bitbucket"}
        ]}"#,
    )
    .unwrap();
    assert_eq!(e[0], data(Location::Host(0x100), 4096, Origin::Entry(0)));
    assert_eq!(e[1], data(Location::Bus(4096), 512, Origin::Entry(1)));
    assert_eq!(e[2].data, None);
    assert_eq!(e[3].len, 16);
    for (text, needle) in [
        ("[]", "top level"),
        ("{", "not valid JSON"),
        (
            r#"{"entries": [{"address": "x:+0", "length": 1}]}"#,
            "entries[0]: unknown address",
        ),
        (
            r#"{"entries": [{"length": 1}, {"address": 0, "length": 0}]}"#,
            "entries[0]: no \"address\"",
        ),
        (
            r#"{"entries": [{"address": 0, "length": 1}, {"address": 0, "length": 0}]}"#,
            "entries[1]: length 0",
        ),
        (
            r#"{"entries": [{"address": 0, "length": -1}]}"#,
            "entries[0]: length -1",
        ),
        (
            r#"{"entries": [{"address": 0, "length": 1, "typ": "data"}]}"#,
            "unknown field \"typ\"",
        ),
    ] {
        let err = parse_json(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err:?} lacks {needle:?}");
    }
}

#[test]
fn sgl_reads_data_blocks_and_bit_buckets_only() {
    let mut bytes = Vec::new();
    bytes.extend(SglDescriptor::data_block(BusAddr::new(0x1000), 64).to_bytes());
    bytes.extend(SglDescriptor::bit_bucket(32).to_bytes());
    let e = parse_sgl(&bytes).unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].data, Some(Location::Bus(0x1000)));
    assert_eq!(
        e[1],
        Entry {
            data: None,
            len: 32,
            origin: Origin::Descriptor(1)
        }
    );

    let mut seg = bytes.clone();
    seg.extend(SglDescriptor::last_segment(BusAddr::new(0x2000), 16).to_bytes());
    let err = parse_sgl(&seg).unwrap_err().to_string();
    assert!(
        err.contains("descriptor 2") && err.contains("LastSegment"),
        "{err}"
    );

    let err = parse_sgl(&bytes[..20]).unwrap_err().to_string();
    assert!(
        err.contains("descriptor 1") && err.contains("multiple of 16"),
        "{err}"
    );

    let mut zero = bytes.clone();
    zero.extend(SglDescriptor::data_block(BusAddr::new(0), 0).to_bytes());
    assert!(parse_sgl(&zero)
        .unwrap_err()
        .to_string()
        .contains("descriptor 2"));

    let keyed = SglDescriptor::with_identifier(0x40, BusAddr::new(0), 8).to_bytes();
    assert!(parse_sgl(&keyed)
        .unwrap_err()
        .to_string()
        .contains("type 4h"));
}

/// `--json` names the line or entry of a list error from these, not from its message.
#[test]
fn list_errors_say_their_line_or_entry() {
    let text = parse_text("host:+0 4k\n\nfoo 4k").unwrap_err();
    assert_eq!((text.line(), text.entry()), (Some(3), None));
    let json =
        parse_json(r#"{"entries": [{"address": 0, "length": 1}, {"length": 0}]}"#).unwrap_err();
    assert_eq!(
        (json.line(), json.entry()),
        (None, Some("entries[1]".into()))
    );
    let syntax = parse_json("{\"entries\": [\n  oops\n]}").unwrap_err();
    assert_eq!((syntax.line(), syntax.entry()), (Some(2), None));
    let mut bytes = SglDescriptor::data_block(BusAddr::new(0x1000), 64)
        .to_bytes()
        .to_vec();
    bytes.extend(SglDescriptor::data_block(BusAddr::new(0), 0).to_bytes());
    let zero = parse_sgl(&bytes).unwrap_err();
    assert_eq!(
        (zero.line(), zero.entry()),
        (None, Some("descriptor 1".into()))
    );
    let cut = parse_sgl(&bytes[..20]).unwrap_err();
    assert_eq!(
        (cut.line(), cut.entry()),
        (None, Some("descriptor 1".into()))
    );
    let empty = check_list(Vec::new(), Op::Pull).unwrap_err();
    assert_eq!((empty.line(), empty.entry()), (None, None));
}

#[test]
fn list_checks() {
    let bb = Entry {
        data: None,
        len: 8,
        origin: Origin::Line(2),
    };
    let host = data(Location::Host(0), 8, Origin::Line(1));
    let l = check_list(vec![host.clone(), bb.clone()], Op::Pull).unwrap();
    assert_eq!((l.total, l.host_len), (16, 8));
    let err = check_list(vec![host.clone(), bb], Op::Push)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2") && err.contains("11h"), "{err}");
    assert!(check_list(vec![], Op::Pull)
        .unwrap_err()
        .to_string()
        .contains("empty"));
    let big = data(Location::Host(MAX_HOST_BUFFER - 4), 8, Origin::Line(9));
    assert!(check_list(vec![big], Op::Pull)
        .unwrap_err()
        .to_string()
        .contains("line 9"));
    let huge = data(Location::Bus(0), u32::MAX, Origin::Line(1));
    let err = check_list(vec![huge.clone(), huge], Op::Pull)
        .unwrap_err()
        .to_string();
    assert!(err.contains("32-bit LENGTH"), "{err}");
}

#[test]
fn bar2_checks() {
    let list = check_list(
        vec![data(Location::Bar2(0x800), 0x100, Origin::Line(4))],
        Op::Pull,
    )
    .unwrap();
    assert!(check_bar2(&list, 0, 0x1000).is_ok());
    let err = check_bar2(&list, 0x880, 0x1000).unwrap_err().to_string();
    assert!(err.contains("line 4") && err.contains("overlaps"), "{err}");
    let err = check_bar2(&list, 0, 0x880).unwrap_err().to_string();
    assert!(
        err.contains("line 4") && err.contains("past the end"),
        "{err}"
    );
    assert!(check_bar2(&list, 0x900, 0x2000).is_ok());
    assert!(check_bar2(&list, u64::MAX, 0x2000).is_err());
    let err = check_bar2(&list, 0x1f80, 0x2000).unwrap_err().to_string();
    assert!(err.contains("--bar2-offset"), "{err}");
}

#[test]
fn format_from_extension() {
    assert_eq!(Format::from_path(Path::new("a.json")), Format::Json);
    assert_eq!(Format::from_path(Path::new("a.SGL")), Format::Sgl);
    assert_eq!(Format::from_path(Path::new("a.txt")), Format::Text);
    assert_eq!(Format::from_path(Path::new("list")), Format::Text);
}
