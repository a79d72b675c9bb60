//! Another task runs while the template is being read.
//!
//! The template is a named pipe, and the "disk" answers only once another task on the
//! executor has run (or after two seconds): if the read blocks the executor thread,
//! that other task cannot run until the disk gives up waiting.

use stalled_by_the_disk::{render_report, Database};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

struct FakeDatabase;

impl Database for FakeDatabase {
    async fn query_rows(&self, report: u64) -> Vec<String> {
        tokio::task::yield_now().await;
        vec![format!("row {report}.1"), format!("row {report}.2")]
    }
}

fn named_pipe() -> PathBuf {
    let path = std::env::temp_dir().join(format!("template-{}.fifo", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let made = Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    path
}

#[tokio::test]
async fn other_tasks_run_while_the_template_is_read() {
    let template = named_pipe();
    let (served_tx, served_rx) = mpsc::channel::<()>();
    // The slow disk: it answers once another request has been served, or after 2 s.
    let disk = std::thread::spawn({
        let template = template.clone();
        move || {
            let served_meanwhile = served_rx.recv_timeout(Duration::from_secs(2)).is_ok();
            std::fs::write(&template, "<h1>report</h1> {rows}").unwrap();
            served_meanwhile
        }
    });
    // Another request on the same executor.
    let other_request = tokio::spawn(async move {
        let _ = served_tx.send(());
    });

    let page = render_report(&template, &FakeDatabase, 7).await;
    let served_meanwhile = disk.join().unwrap();
    other_request.await.unwrap();
    let _ = std::fs::remove_file(&template);

    assert_eq!(page, "<h1>report</h1> row 7.1, row 7.2");
    assert!(
        served_meanwhile,
        "while the template was being read, no other task on the executor could run"
    );
}
