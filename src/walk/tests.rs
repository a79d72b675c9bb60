use super::*;
use crate::semantic::probe_walk;
use std::sync::Mutex;

/// For each call to `probe(..)`: whether it is in async context and under a
/// deadline.
fn probe(src: &str) -> Vec<(bool, bool)> {
    let seen = Mutex::new(Vec::new());
    probe_walk(
        src,
        |cx, e| {
            if chain::call_path(e).is_some_and(|p| p.is_ident("probe")) {
                seen.lock()
                    .unwrap()
                    .push((cx.in_async(), cx.under_deadline));
            }
        },
        |_, _| {},
    );
    seen.into_inner().unwrap()
}

#[test]
fn async_context_follows_closures_and_nested_fns() {
    let got = probe(
        "async fn a() {\n\
           probe();\n\
           xs.iter().map(|x| probe());\n\
           tokio::task::spawn_blocking(|| probe());\n\
           asyncify(|| probe());\n\
           (|| probe())();\n\
           fn inner() { probe(); }\n\
           let b = async { probe() };\n\
         }\n\
         fn s() { probe(); let f = async move { probe() }; }",
    );
    let ctx: Vec<bool> = got.iter().map(|(a, _)| *a).collect();
    assert_eq!(
        ctx,
        [true, true, false, false, true, false, true, false, true]
    );
}

#[test]
fn deadlines_cover_timeout_arguments_adapters_and_raced_select_branches() {
    let got = probe(
        "async fn a() {\n\
           probe().await;\n\
           tokio::time::timeout(d, probe()).await;\n\
           probe().timeout(d).await;\n\
           tokio::select! { r = probe() => {}, _ = tokio::time::sleep(d) => {} }\n\
           tokio::select! { r = probe() => {}, m = rx.recv() => {} }\n\
           tokio::select! { r = probe() => {}, _ = token.cancelled() => {} }\n\
           let ep = Endpoint::from_static(u).connect_timeout(d);\n\
           ep.connect_with_connector(service_fn(|_| probe()));\n\
           Endpoint::from_static(u).connect_with_connector(service_fn(|_| probe()));\n\
         }",
    );
    let deadline: Vec<bool> = got.iter().map(|(_, d)| *d).collect();
    assert_eq!(
        deadline,
        [false, true, true, true, false, true, true, false]
    );
}
