// SPDX-License-Identifier: MIT OR Apache-2.0
//! The short BAR2 and SCRATCH tests `bringup` runs: bar-test's passes, no report.

use indicatif::ProgressBar;
use peerbar::Endpoint;

use super::{bar2_len, Access, Pattern, Plan, Tester};
use crate::target::Target;

/// What a short test (`bringup`) found.
pub(crate) struct QuickResult {
    /// Bytes written and read back, over every pass.
    pub bytes: u64,
    pub passes: usize,
    pub mismatches: u64,
    /// The first wrong value: where, which pass, expected and read.
    pub first_mismatch: Option<String>,
}

/// `bringup`'s short BAR2 test: every pattern with 4-byte and bulk accesses over the first
/// `length` bytes of BAR2 (at most all of it).
pub(crate) fn quick_bar2(
    target: &Target,
    endpoint: &Endpoint,
    length: u64,
    seed: u64,
) -> anyhow::Result<QuickResult> {
    let bar2_len = bar2_len(endpoint)?;
    let plan = Plan {
        start: 0,
        length: length.min(bar2_len),
        seed,
        passes: [Pattern::WalkingOnes, Pattern::Address, Pattern::Random]
            .into_iter()
            .flat_map(|p| [(p, Access::B4), (p, Access::Bulk)])
            .collect(),
    };
    quick(target, endpoint, &plan, false)
}

/// `bringup`'s SCRATCH test: `bar-test --scratch`'s values, the original value restored.
pub(crate) fn quick_scratch(
    target: &Target,
    endpoint: &Endpoint,
    seed: u64,
) -> anyhow::Result<QuickResult> {
    let plan = Plan {
        start: 0,
        length: 0,
        seed,
        passes: Vec::new(),
    };
    quick(target, endpoint, &plan, true)
}

fn quick(
    target: &Target,
    endpoint: &Endpoint,
    plan: &Plan,
    scratch: bool,
) -> anyhow::Result<QuickResult> {
    let progress = ProgressBar::hidden();
    let mut tester = Tester {
        endpoint,
        target,
        plan,
        max_mismatches: 1,
        mismatches: Vec::new(),
        progress: &progress,
    };
    let mut results = Vec::new();
    for &(pattern, access) in &plan.passes {
        results.push(tester.pass(pattern, access)?);
    }
    if scratch {
        results.push(tester.scratch()?);
    }
    Ok(QuickResult {
        bytes: results.iter().map(|r| r.bytes).sum(),
        passes: results.len(),
        mismatches: results.iter().map(|r| r.mismatches).sum(),
        first_mismatch: tester.mismatches.first().map(|m| {
            let access = match m.access {
                "bulk" => "bulk".to_owned(),
                size => format!("{size}-byte"),
            };
            format!(
                "{} with {access} accesses at {:#x}: wrote {}, read {}",
                m.pattern, m.offset, m.expected, m.actual
            )
        }),
    })
}
