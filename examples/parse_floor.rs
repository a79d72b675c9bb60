//! The floor any syn-based checker pays: find the files, read each, parse it with syn
//! and walk the whole tree once — no rules, no analysis. `scripts/bench.sh` compares
//! asynclint against it.
//!
//!   cargo run --release --example parse_floor -- [--threads N] PATH...

use rayon::prelude::*;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;
use syn::visit::Visit;

struct CountNodes(usize);

impl<'ast> Visit<'ast> for CountNodes {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        self.0 += 1;
        syn::visit::visit_expr(self, e);
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut threads = 0;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--threads" {
            threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let started = Instant::now();
    let found = asynclint::discover::discover(&paths, &Default::default());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(256 * 1024 * 1024)
        .build()
        .expect("thread pool");
    let (files, lines, exprs, failed) = pool.install(|| {
        // Scheduled as `asynclint check` schedules files: largest first, one per task.
        asynclint::discover::largest_first(&found.files)
            .par_iter()
            .with_max_len(1)
            .map(|path| {
                let Ok(text) = std::fs::read_to_string(path) else {
                    return (0, 0, 0, 1);
                };
                let lines = text.lines().count();
                let result = match proc_macro2::TokenStream::from_str(&text)
                    .ok()
                    .and_then(|t| syn::parse2::<syn::File>(t).ok())
                {
                    Some(file) => {
                        let mut v = CountNodes(0);
                        v.visit_file(&file);
                        (1, lines, v.0, 0)
                    }
                    None => (0, 0, 0, 1),
                };
                proc_macro2::extra::invalidate_current_thread_spans();
                result
            })
            .reduce(
                || (0, 0, 0, 0),
                |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3),
            )
    });
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{files} files, {lines} lines, {exprs} expressions walked, {failed} not parsed, in {secs:.3} s ({:.0} lines/s)",
        lines as f64 / secs
    );
}
