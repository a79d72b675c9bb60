//! Output formats.

pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
