// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;
use crate::dma::sgl::cases::descriptors;
use crate::dma::sgl::{
    malformed_list_cases, valid_list_cases, FakeAddressSpace, SglBuilder, CASE_DATA_REGION_LEN,
    CASE_LIST_REGION_LEN,
};
use proptest::prelude::*;

const LIST: BusAddr = BusAddr::new(0x10_0000);
const DATA: BusAddr = BusAddr::new(0x20_0000);

#[test]
fn malformed_cases_return_their_status() {
    let cases = malformed_list_cases(LIST, DATA);
    assert!(cases.len() >= 20);
    for case in &cases {
        assert_ne!(case.expected, StatusCode::Success, "{}", case.name);
        assert_eq!(
            case.validate(LIST, DATA),
            Err(case.expected),
            "{}",
            case.name
        );
        for (addr, bytes) in &case.memory {
            assert!(addr.get() >= LIST.get());
            assert!(addr.get() - LIST.get() + bytes.len() as u64 <= CASE_LIST_REGION_LEN as u64);
        }
    }
    let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");
}

#[test]
fn valid_cases_succeed_and_stay_in_the_data_region() {
    for case in valid_list_cases(LIST, DATA) {
        let entries = case
            .validate(LIST, DATA)
            .unwrap_or_else(|s| panic!("{}: {s}", case.name));
        let total: u64 = entries.iter().map(|e| u64::from(e.len())).sum();
        assert_eq!(total, u64::from(case.length), "{}", case.name);
        for e in entries {
            if let SglEntry::Data { addr, len } = e {
                assert!(addr.get() >= DATA.get());
                assert!(addr.get() - DATA.get() + u64::from(len) <= CASE_DATA_REGION_LEN as u64);
            }
        }
    }
}

#[test]
fn nop_and_checksum_ignore_dptr() {
    let bad = SglDescriptor::with_identifier(0x40, BusAddr::new(0), 1);
    let fail = |_: BusAddr, _: &mut [u8]| -> Result<(), ()> { Err(()) };
    assert_eq!(validate(bad, 512, Opcode::Nop, fail), Ok(vec![]));
    assert_eq!(validate(bad, 512, Opcode::Checksum, fail), Ok(vec![]));
}

#[test]
fn read_errors_are_reported_with_their_address() {
    let dptr = SglDescriptor::last_segment(BusAddr::new(0x1000), 32);
    let err = validate(dptr, 64, Opcode::Pull, |a, _| Err::<(), _>(a)).unwrap_err();
    assert_eq!(
        err,
        SglWalkError::Read {
            addr: BusAddr::new(0x1000),
            error: BusAddr::new(0x1000)
        }
    );
    assert_eq!(err.status(), None);
}

#[test]
fn descriptor_limit_counts_fetched_descriptors() {
    // A chain of 65 536 fetches that ends exactly at the limit is fine; one more is not.
    let space_for = |extra: u32| {
        // One segment of n zero-length blocks then a data block, n + 1 fetches in all.
        let n = 65_535 + extra;
        let mut space = FakeAddressSpace::default();
        space.add_region(LIST, (n as usize + 1) * 16);
        let mut descs = vec![SglDescriptor::data_block(DATA, 0); n as usize];
        descs.push(SglDescriptor::data_block(DATA, 8));
        space.write(LIST, &descriptors(&descs));
        (space, SglDescriptor::last_segment(LIST, (n + 1) * 16))
    };
    let (space, dptr) = space_for(0);
    assert_eq!(
        validate(dptr, 8, Opcode::Pull, |a, b| space.read(a, b)).unwrap(),
        vec![SglEntry::data(DATA, 8)]
    );
    let (space, dptr) = space_for(1);
    let err = validate(dptr, 8, Opcode::Pull, |a, b| space.read(a, b)).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::SglDescriptorLimit));
}

fn entry_strategy() -> impl Strategy<Value = SglEntry> {
    prop_oneof![
        4 => (0u64..1 << 40, 0u32..1 << 20).prop_map(|(a, len)| SglEntry::data(BusAddr::new(a), len)),
        1 => (0u32..4096).prop_map(|len| SglEntry::BitBucket { len }),
    ]
}

proptest! {
    #[test]
    fn built_lists_validate_to_their_entries(
        entries in proptest::collection::vec(entry_strategy(), 0..40),
        per in 2usize..9,
        base_page in 1u64..1000,
    ) {
        let builder = SglBuilder::new(per).unwrap();
        let base = BusAddr::new(base_page << 12);
        let built = builder.build(&entries, base).unwrap();
        prop_assert_eq!(built.list.len(), builder.list_len(&entries));
        let mut space = FakeAddressSpace::default();
        space.add_region(base, built.list.len().max(16));
        space.write(base, &built.list);
        let expected: Vec<SglEntry> = entries.iter().copied().filter(|e| !e.is_empty()).collect();
        let has_bucket = entries.iter().any(|e| matches!(e, SglEntry::BitBucket { .. }));
        let pull = validate(built.dptr, built.length, Opcode::Pull, |a, b| space.read(a, b));
        prop_assert_eq!(pull, Ok(expected.clone()));
        let push = validate(built.dptr, built.length, Opcode::Push, |a, b| space.read(a, b));
        if has_bucket && built.length > 0 {
            prop_assert_eq!(push.unwrap_err().status(), Some(StatusCode::SglDescriptorTypeInvalid));
        } else {
            prop_assert_eq!(push, Ok(expected));
        }
        // Every segment respects the per-segment limit.
        let mut seg = built.dptr;
        while matches!(seg.sgl_type(), SglType::Segment | SglType::LastSegment) {
            let n = seg.length() as usize / 16;
            prop_assert!(n >= 1 && n <= per);
            let mut last = [0u8; 16];
            space.read(BusAddr::new(seg.address().get() + (n as u64 - 1) * 16), &mut last).unwrap();
            seg = SglDescriptor::from_bytes(&last);
        }
    }
}

// ---- Property tests at scale -------------------------------------------------------
//
// Case counts: `PROPTEST_CASES` when set (e.g. PROPTEST_CASES=200000 for a long run), else
// the default given to `cases`.

/// The proptest case count: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The status table of docs/dma-engine.md ("SGL", "Edge cases"), written out on its own as
/// raw codes so that a change to [`SglViolation::status`] has to be made twice.
fn documented_code(v: SglViolation) -> u16 {
    match v {
        SglViolation::DptrType(_)
        | SglViolation::DptrSubtype(_)
        | SglViolation::SegmentLength(_)
        | SglViolation::SegmentAlignment(_)
        | SglViolation::SegmentOverflow(_)
        | SglViolation::ChainAfterLastSegment => 0x0d,
        SglViolation::ChainNotLast => 0x0e,
        SglViolation::LengthMismatch { .. } | SglViolation::AddressOverflow(_) => 0x0f,
        SglViolation::BitBucketOnPush
        | SglViolation::DescriptorType(_)
        | SglViolation::DescriptorSubtype(_) => 0x11,
        SglViolation::DescriptorLimit => 0xc1,
    }
}

#[test]
fn every_violation_has_its_documented_status() {
    let a = BusAddr::new(8);
    let all = [
        SglViolation::DptrType(SglType::BitBucket),
        SglViolation::DptrSubtype(1),
        SglViolation::SegmentLength(0),
        SglViolation::SegmentAlignment(a),
        SglViolation::SegmentOverflow(a),
        SglViolation::ChainAfterLastSegment,
        SglViolation::ChainNotLast,
        SglViolation::LengthMismatch {
            total: 1,
            length: 2,
        },
        SglViolation::AddressOverflow(a),
        SglViolation::BitBucketOnPush,
        SglViolation::DescriptorType(SglType::Vendor),
        SglViolation::DescriptorSubtype(2),
        SglViolation::DescriptorLimit,
    ];
    for v in all {
        assert_eq!(v.status().code(), documented_code(v), "{v:?}");
        assert_ne!(v.status(), StatusCode::Success, "{v:?}");
    }
}

const OPCODES: [Opcode; 4] = [Opcode::Nop, Opcode::Pull, Opcode::Push, Opcode::Checksum];

/// Addresses that matter to the walker: inside the list region (aligned or not), in the
/// data region, near the top of the address space (overflow edges), anywhere.
fn soup_address(list: BusAddr, list_len: u64) -> impl Strategy<Value = u64> {
    let base = list.get();
    prop_oneof![
        4 => (0..list_len / 16).prop_map(move |i| base + i * 16),
        1 => (0..list_len / 8).prop_map(move |i| base + i * 8),
        1 => (0..list_len).prop_map(move |i| base + i),
        2 => (0u64..1 << 16).prop_map(|o| DATA.get() + o),
        1 => (0u64..5000).prop_map(|k| u64::MAX - k),
        1 => any::<u64>(),
    ]
}

fn soup_length() -> impl Strategy<Value = u32> {
    prop_oneof![
        2 => Just(0u32),
        4 => (1u32..=8).prop_map(|n| n * 16),
        3 => 1u32..4096,
        1 => Just(u32::MAX),
        1 => any::<u32>(),
    ]
}

/// A descriptor of the soup: raw random bytes, or fields picked to hit the rules (types
/// and subtypes of every kind, segment pointers into the list region, loops, overflows).
fn soup_descriptor(list: BusAddr, list_len: u64) -> impl Strategy<Value = SglDescriptor> {
    let ty = prop_oneof![
        3 => Just(0u8),
        1 => Just(1u8),
        2 => Just(2u8),
        2 => Just(3u8),
        1 => 4u8..16,
    ];
    let subtype = prop_oneof![6 => Just(0u8), 1 => 1u8..16];
    prop_oneof![
        1 => any::<[u8; 16]>().prop_map(|b| SglDescriptor::from_bytes(&b)),
        5 => (ty, subtype, soup_address(list, list_len), soup_length()).prop_map(
            |(t, s, a, len)| SglDescriptor::with_identifier((t << 4) | s, BusAddr::new(a), len)
        ),
    ]
}

/// What the soup test needs to check a verdict: the list's address space and its inputs.
#[derive(Debug, Clone)]
struct Soup {
    dptr: SglDescriptor,
    length: u32,
    opcode: Opcode,
    /// Descriptors written at LIST (the region is exactly this long).
    list: Vec<SglDescriptor>,
}

fn soup() -> impl Strategy<Value = Soup> {
    (1usize..48).prop_flat_map(|n| {
        let list_len = n as u64 * 16;
        let dptr = prop_oneof![
            3 => (prop_oneof![Just(2u8), Just(3u8)], 1u32..=n as u32).prop_map(
                |(t, k)| SglDescriptor::with_identifier(t << 4, LIST, k * 16)
            ),
            2 => soup_descriptor(LIST, list_len),
        ];
        let length = prop_oneof![
            1 => Just(0u32),
            4 => 1u32..20_000,
            1 => any::<u32>(),
        ];
        (
            dptr,
            length,
            proptest::sample::select(OPCODES.to_vec()),
            proptest::collection::vec(soup_descriptor(LIST, list_len), n),
        )
            .prop_map(|(dptr, length, opcode, list)| Soup {
                dptr,
                length,
                opcode,
                list,
            })
    })
}

impl Soup {
    fn space(&self) -> FakeAddressSpace {
        let mut space = FakeAddressSpace::default();
        space.add_region(LIST, self.list.len() * 16);
        space.add_region(DATA, 1 << 16);
        space.write(LIST, &descriptors(&self.list));
        space
    }
}

/// Reads the descriptor at `addr` of `space` (the walker read it, so it is there).
fn read_descriptor(space: &FakeAddressSpace, addr: BusAddr) -> SglDescriptor {
    let mut b = [0u8; 16];
    space
        .read(addr, &mut b)
        .expect("a descriptor the walker read");
    SglDescriptor::from_bytes(&b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    /// Arbitrary descriptor soup (random bytes, every type and subtype, segments pointing
    /// back into the list, overflowing addresses and lengths): the validator never panics,
    /// gives the same verdict twice, and every verdict is consistent with the list: a
    /// success adds up to LENGTH with no empty entry, a violation names something that is
    /// really there and carries the documented status, a read error is a real one.
    #[test]
    fn validator_on_descriptor_soup_is_total_deterministic_and_truthful(s in soup()) {
        let space = s.space();
        let read = |a: BusAddr, b: &mut [u8]| space.read(a, b);
        let first = validate(s.dptr, s.length, s.opcode, read);
        let second = validate(s.dptr, s.length, s.opcode, read);
        prop_assert_eq!(&first, &second);
        match first {
            Ok(entries) => {
                if matches!(s.opcode, Opcode::Nop | Opcode::Checksum) || s.length == 0 {
                    prop_assert!(entries.is_empty());
                } else {
                    let total: u64 = entries.iter().map(|e| u64::from(e.len())).sum();
                    prop_assert_eq!(total, u64::from(s.length));
                }
                for e in &entries {
                    prop_assert!(!e.is_empty());
                    match *e {
                        SglEntry::BitBucket { .. } => prop_assert_eq!(s.opcode, Opcode::Pull),
                        SglEntry::Data { addr, len } => {
                            prop_assert!(addr.checked_add(u64::from(len)).is_some())
                        }
                    }
                }
            }
            Err(SglWalkError::Read { addr, error }) => {
                prop_assert_eq!(error, StatusCode::UnsupportedRequest);
                prop_assert!(space.read(addr, &mut [0u8; 16]).is_err());
            }
            Err(SglWalkError::Invalid { violation, at }) => {
                prop_assert!(matches!(s.opcode, Opcode::Pull | Opcode::Push));
                prop_assert!(s.length != 0);
                prop_assert_eq!(violation.status().code(), documented_code(violation));
                // Segment-level violations name the segment; the others the descriptor read there.
                let at_desc = || read_descriptor(&space, at.expect("the offending descriptor"));
                match violation {
                    SglViolation::DptrType(t) => {
                        prop_assert_eq!(at, None);
                        prop_assert_eq!(s.dptr.sgl_type(), t);
                        prop_assert!(!matches!(
                            t,
                            SglType::DataBlock | SglType::Segment | SglType::LastSegment
                        ));
                    }
                    SglViolation::DptrSubtype(st) => {
                        prop_assert_eq!(at, None);
                        prop_assert!(st != 0 && s.dptr.subtype() == st);
                    }
                    SglViolation::SegmentLength(l) => prop_assert!(l == 0 || l % 16 != 0),
                    SglViolation::SegmentAlignment(a) => {
                        prop_assert!(a.get() % 8 != 0);
                        prop_assert_eq!(at, Some(a));
                    }
                    SglViolation::SegmentOverflow(a) => {
                        prop_assert!(a.checked_add(u64::from(u32::MAX)).is_none())
                    }
                    SglViolation::ChainNotLast | SglViolation::ChainAfterLastSegment => {
                        let d = at_desc();
                        prop_assert!(matches!(
                            d.sgl_type(),
                            SglType::Segment | SglType::LastSegment
                        ));
                    }
                    SglViolation::DescriptorSubtype(st) => {
                        prop_assert!(st != 0 && at_desc().subtype() == st);
                    }
                    SglViolation::DescriptorType(t) => {
                        let d = at_desc();
                        prop_assert_eq!(d.sgl_type(), t);
                        prop_assert!(!matches!(
                            t,
                            SglType::DataBlock
                                | SglType::BitBucket
                                | SglType::Segment
                                | SglType::LastSegment
                        ));
                    }
                    SglViolation::BitBucketOnPush => {
                        prop_assert_eq!(s.opcode, Opcode::Push);
                        prop_assert_eq!(at_desc().sgl_type(), SglType::BitBucket);
                    }
                    SglViolation::AddressOverflow(a) => {
                        let d = if at.is_some() { at_desc() } else { s.dptr };
                        prop_assert_eq!(d.address(), a);
                        prop_assert!(a.checked_add(u64::from(d.length())).is_none());
                    }
                    SglViolation::LengthMismatch { total, length } => {
                        prop_assert_eq!(length, s.length);
                        prop_assert!(total != u64::from(length));
                    }
                    SglViolation::DescriptorLimit => prop_assert!(at.is_some()),
                }
            }
        }
    }
}

/// One rule broken on purpose in a list the builder made.
#[derive(Debug, Clone)]
enum Break {
    /// LENGTH moved by a non-zero amount (to a non-zero value).
    Length(i64),
    /// DPTR's type nibble set to a type DPTR may not have.
    DptrType(u8),
    DptrSubtype(u8),
    /// Descriptor `i % n` of the image (a data descriptor) gets type nibble `t` (4..=15).
    InListType(usize, u8),
    /// Descriptor `i % n` of the image (any) gets subtype `s` (1..=15).
    InListSubtype(usize, u8),
    /// Segment pointer `i % k` (DPTR first, then the chain descriptors) gets its address
    /// moved by 1..=7 bytes.
    Misalign(usize, u64),
    /// Segment pointer `i % k` gets a length of 0 or not a multiple of 16.
    SegmentLength(usize, u32),
    /// Chain descriptor `i % k` swapped with the descriptor before it.
    ChainNotLast(usize),
    /// Segment pointer `i % k` (not the one naming the last segment) made a Last Segment.
    EarlyLastSegment(usize),
    /// Data descriptor `i % n` moved to the top of the address space so that it overflows.
    DataOverflow(usize),
}

fn break_strategy() -> impl Strategy<Value = Break> {
    prop_oneof![
        (1i64..1 << 20, any::<bool>()).prop_map(|(d, neg)| Break::Length(if neg { -d } else { d })),
        prop_oneof![Just(1u8), 4u8..16].prop_map(Break::DptrType),
        (1u8..16).prop_map(Break::DptrSubtype),
        (any::<usize>(), 4u8..16).prop_map(|(i, t)| Break::InListType(i, t)),
        (any::<usize>(), 1u8..16).prop_map(|(i, s)| Break::InListSubtype(i, s)),
        (any::<usize>(), 1u64..8).prop_map(|(i, k)| Break::Misalign(i, k)),
        (any::<usize>(), prop_oneof![Just(0u32), 1u32..16, 17u32..32])
            .prop_map(|(i, l)| Break::SegmentLength(i, l)),
        any::<usize>().prop_map(Break::ChainNotLast),
        any::<usize>().prop_map(Break::EarlyLastSegment),
        any::<usize>().prop_map(Break::DataOverflow),
    ]
}

/// A built list as descriptors: DPTR and the image, with where each image descriptor
/// sits, so a test can break one rule at a chosen place.
struct Laid {
    dptr: SglDescriptor,
    image: Vec<SglDescriptor>,
    base: BusAddr,
    length: u32,
}

impl Laid {
    fn addr(&self, i: usize) -> BusAddr {
        BusAddr::new(self.base.get() + i as u64 * 16)
    }
    fn is_chain(d: &SglDescriptor) -> bool {
        matches!(d.sgl_type(), SglType::Segment | SglType::LastSegment)
    }
    /// Image indices of the data (non-chain) descriptors.
    fn data_indices(&self) -> Vec<usize> {
        (0..self.image.len())
            .filter(|&i| !Laid::is_chain(&self.image[i]))
            .collect()
    }
    /// Image indices of the chain descriptors.
    fn chain_indices(&self) -> Vec<usize> {
        (0..self.image.len())
            .filter(|&i| Laid::is_chain(&self.image[i]))
            .collect()
    }
    /// Segment pointer `k`: `None` = DPTR, `Some(i)` = image descriptor i.
    fn pointer(&mut self, k: Option<usize>) -> &mut SglDescriptor {
        match k {
            None => &mut self.dptr,
            Some(i) => &mut self.image[i],
        }
    }
    fn validate(&self, opcode: Opcode) -> Result<Vec<SglEntry>, SglWalkError<StatusCode>> {
        let mut space = FakeAddressSpace::default();
        space.add_region(self.base, (self.image.len() * 16).max(16));
        space.write(self.base, &descriptors(&self.image));
        validate(self.dptr, self.length, opcode, |a, b| space.read(a, b))
    }
}

fn set_identifier(d: &mut SglDescriptor, identifier: u8) {
    *d = SglDescriptor::with_identifier(identifier, d.address(), d.length());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    /// A valid list with exactly one rule broken completes with that rule's status, and the
    /// violation names the descriptor that breaks it.
    #[test]
    fn one_broken_rule_gives_its_status(
        entries in proptest::collection::vec(
            (0u64..1 << 40, 1u32..1 << 16)
                .prop_map(|(a, len)| SglEntry::data(BusAddr::new(a), len)),
            1..60,
        ),
        per in 2usize..8,
        base_page in 1u64..1000,
        brk in break_strategy(),
        push in any::<bool>(),
    ) {
        let base = BusAddr::new(base_page << 12);
        let built = SglBuilder::new(per).unwrap().build(&entries, base).unwrap();
        let image: Vec<SglDescriptor> = built
            .list
            .chunks_exact(16)
            .map(|c| SglDescriptor::from_bytes(c.try_into().unwrap()))
            .collect();
        let mut laid = Laid { dptr: built.dptr, image, base, length: built.length };
        let opcode = if push { Opcode::Push } else { Opcode::Pull };
        prop_assert_eq!(laid.validate(opcode), Ok(entries.clone()));
        let chains = laid.chain_indices();
        let data = laid.data_indices();
        // Segment pointers: DPTR (when the list has segments), then the chain descriptors.
        let mut pointers: Vec<Option<usize>> = Vec::new();
        if !laid.image.is_empty() {
            pointers.push(None);
            pointers.extend(chains.iter().map(|&i| Some(i)));
        }
        let (expected, at): (StatusCode, Option<BusAddr>) = match brk.clone() {
            Break::Length(d) => {
                let length = i64::from(laid.length) + d;
                prop_assume!(length > 0 && length <= i64::from(u32::MAX));
                laid.length = length as u32;
                (StatusCode::DataSglLengthInvalid, None)
            }
            Break::DptrType(t) => {
                let sub = laid.dptr.subtype();
                set_identifier(&mut laid.dptr, (t << 4) | sub);
                (StatusCode::InvalidSglSegmentDescriptor, None)
            }
            Break::DptrSubtype(s) => {
                let id = (laid.dptr.identifier() & 0xf0) | s;
                set_identifier(&mut laid.dptr, id);
                (StatusCode::InvalidSglSegmentDescriptor, None)
            }
            Break::InListType(i, t) => {
                prop_assume!(!laid.image.is_empty());
                let i = data[i % data.len()];
                set_identifier(&mut laid.image[i], t << 4);
                (StatusCode::SglDescriptorTypeInvalid, Some(laid.addr(i)))
            }
            Break::InListSubtype(i, s) => {
                prop_assume!(!laid.image.is_empty());
                let i = i % laid.image.len();
                let id = laid.image[i].identifier() | s;
                set_identifier(&mut laid.image[i], id);
                (StatusCode::SglDescriptorTypeInvalid, Some(laid.addr(i)))
            }
            Break::Misalign(k, by) => {
                prop_assume!(!pointers.is_empty());
                let p = laid.pointer(pointers[k % pointers.len()]);
                let a = BusAddr::new(p.address().get() + by);
                *p = SglDescriptor::with_identifier(p.identifier(), a, p.length());
                (StatusCode::InvalidSglSegmentDescriptor, Some(a))
            }
            Break::SegmentLength(k, l) => {
                prop_assume!(!pointers.is_empty());
                let p = laid.pointer(pointers[k % pointers.len()]);
                let a = p.address();
                *p = SglDescriptor::with_identifier(p.identifier(), a, l);
                (StatusCode::InvalidSglSegmentDescriptor, Some(a))
            }
            Break::ChainNotLast(k) => {
                prop_assume!(!chains.is_empty());
                let i = chains[k % chains.len()];
                // per >= 2: the chain descriptor always follows a data descriptor.
                laid.image.swap(i - 1, i);
                (StatusCode::InvalidNumberOfSglDescriptors, Some(laid.addr(i - 1)))
            }
            Break::EarlyLastSegment(k) => {
                // Pointers to a segment that itself ends in a chain: all but the last.
                prop_assume!(pointers.len() >= 2);
                let k = k % (pointers.len() - 1);
                let p = laid.pointer(pointers[k]);
                *p = SglDescriptor::last_segment(p.address(), p.length());
                // The walk fails at the chain descriptor ending the segment it names.
                let next = pointers[k + 1].unwrap();
                (StatusCode::InvalidSglSegmentDescriptor, Some(laid.addr(next)))
            }
            Break::DataOverflow(i) => {
                let d = if laid.image.is_empty() {
                    &mut laid.dptr
                } else {
                    &mut laid.image[data[i % data.len()]]
                };
                prop_assume!(d.length() >= 2);
                *d = SglDescriptor::data_block(BusAddr::new(u64::MAX - u64::from(d.length()) + 2), d.length());
                let at = (!laid.image.is_empty()).then(|| laid.addr(data[i % data.len()]));
                (StatusCode::DataSglLengthInvalid, at)
            }
        };
        match laid.validate(opcode) {
            Err(SglWalkError::Invalid { violation, at: got_at }) => {
                prop_assert_eq!(violation.status(), expected, "{:?}", violation);
                if at.is_some() {
                    prop_assert_eq!(got_at, at, "{:?}", violation);
                }
            }
            other => prop_assert!(false, "{:?}: expected {}, got {:?}", brk, expected, other),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(500)))]

    /// Long lists and every segment size: the builder's output validates back to the same
    /// entries, every descriptor of the image is fetched exactly once, in address order, and
    /// every segment but the last is full.
    #[test]
    fn builder_at_scale_walks_back_to_its_entries(
        entries in proptest::collection::vec(entry_strategy(), 2..1500),
        per in prop_oneof![2usize..20, 20usize..400],
        base in (1u64..1 << 36).prop_map(|a| a * 8),
    ) {
        let builder = SglBuilder::new(per).unwrap();
        let base = BusAddr::new(base);
        let built = builder.build(&entries, base).unwrap();
        let mut space = FakeAddressSpace::default();
        space.add_region(base, built.list.len());
        space.write(base, &built.list);
        let reads = std::cell::RefCell::new(Vec::new());
        let walked = validate(built.dptr, built.length, Opcode::Pull, |a, b| {
            reads.borrow_mut().push(a);
            space.read(a, b)
        });
        let expected: Vec<SglEntry> = entries.iter().copied().filter(|e| !e.is_empty()).collect();
        prop_assert_eq!(walked, Ok(expected));
        let reads = reads.into_inner();
        let in_order: Vec<BusAddr> = (0..built.list.len() as u64 / 16)
            .map(|i| BusAddr::new(base.get() + i * 16))
            .collect();
        prop_assert_eq!(reads, in_order);
        let n = entries.len();
        let segments = built.list.len() / 16 - n + 1;
        prop_assert_eq!(segments, if n <= per { 1 } else { (n - 2) / (per - 1) + 1 });
    }
}
