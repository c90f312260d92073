//! Placeholder for the source layer (being written on branch wt-source): the output contract.
use super::diag::Diagnostic;
use super::span::{FileId, SourceMap};

pub struct LogicalLine {
    pub text: String,
    pub file: FileId,
    pub line: u32,
    pub cols: Vec<u32>,
}
pub struct Preprocessed {
    pub lines: Vec<LogicalLine>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}
