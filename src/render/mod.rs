//! Output formats.

pub mod human;
pub mod json;
