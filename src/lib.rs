//! asynclint: a fast static analyzer for async Rust.
//!
//! Layers, top to bottom: [`cli`] → [`engine`] (discover, parse in parallel, index,
//! walk, collect) → [`walk`], [`render`], [`suppress`] → [`rules`] → [`semantic`]
//! (imports, async context, bindings, macro bodies, crate index) → [`diagnostic`],
//! [`source`], [`discover`].

pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod crate_facts;
pub mod diagnostic;
pub mod discover;
pub mod docs;
pub mod engine;
pub mod files;
pub mod fix;
pub mod learn;
pub mod model;
pub mod package;
pub mod policy;
pub mod render;
pub mod rules;
pub mod scope;
pub mod semantic;
pub mod server;
pub mod source;
pub mod suppress;
pub mod walk;
pub mod workspace;

pub use engine::{
    analyze_source, analyze_source_fully, analyze_source_item_by_item, Analysis, FileError,
};
