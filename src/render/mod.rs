//! Output formats.

pub mod cargo;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
