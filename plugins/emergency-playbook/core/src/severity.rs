//! Severity from the facts, and the response deadlines that follow from it.
//! The levels are this project's default convention (see
//! references/emergency-procedures.md), not an external standard.

use schemars::JsonSchema;
use serde::Serialize;

use crate::input::{Exposure, Reach};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub enum Severity {
    P0,
    P1,
    P2,
    P3,
}

impl Severity {
    /// Worst case for facts not given: a responder who does not know must not
    /// be told to wait.
    pub fn derive(exposure: Option<Exposure>, reach: Option<Reach>) -> Self {
        match (
            reach.unwrap_or(Reach::Production),
            exposure.unwrap_or(Exposure::Public),
        ) {
            (Reach::Limited, _) => Self::P3,
            (Reach::NonProduction, _) | (_, Exposure::NonProduction) => Self::P2,
            (Reach::Production, Exposure::Internal) => Self::P1,
            (Reach::Production, Exposure::Public) => Self::P0,
        }
    }

    /// Minutes from detection by which containment must be done.
    pub fn contain_minutes(self) -> i64 {
        match self {
            Self::P0 => 15,
            Self::P1 => 60,
            Self::P2 => 4 * 60,
            Self::P3 => 24 * 60,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::P0 => "P0",
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
        }
    }
}

/// The four phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Contain,
    Assess,
    Recover,
    PostMortem,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Self::Contain => "contain",
            Self::Assess => "assess",
            Self::Recover => "recover",
            Self::PostMortem => "post-mortem",
        }
    }

    /// Minutes from detection by which the phase must be done: containment
    /// within the severity's window, assessment within four windows, recovery
    /// within eight, and the post-mortem three days after that.
    pub fn deadline_minutes(self, severity: Severity) -> i64 {
        let window = severity.contain_minutes();
        match self {
            Self::Contain => window,
            Self::Assess => 4 * window,
            Self::Recover => 8 * window,
            Self::PostMortem => 8 * window + 3 * 24 * 60,
        }
    }
}
