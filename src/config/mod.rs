//! Reading `keepalived.conf`: source (files, `include`, `@`, `$`, `~SEQ`) → syntax tree (nom)
//! → typed [`model::Config`], with rustc-quality [`diag::Diagnostic`]s along the way.

pub mod diag;
pub mod source;
pub mod span;
pub mod syntax;
