//! Storing an upload on three stores at once.

use std::future::Future;

#[derive(Debug, PartialEq)]
pub struct StoreError(pub String);

/// One store: a file is written chunk by chunk.
pub trait Store {
    fn write_chunk(&self, name: &str, chunk: &[u8])
        -> impl Future<Output = Result<(), StoreError>>;
    /// Removes the file; removing a file that is not there is fine.
    fn remove(&self, name: &str) -> impl Future<Output = ()>;
}

async fn write_file(store: &impl Store, name: &str, data: &[u8]) -> Result<(), StoreError> {
    for chunk in data.chunks(4) {
        store.write_chunk(name, chunk).await?;
    }
    Ok(())
}

/// Writes the file to the primary, the mirror and the backup: all three, or none.
pub async fn store_everywhere<S: Store>(
    primary: &S,
    mirror: &S,
    backup: &S,
    name: &str,
    data: &[u8],
) -> Result<(), StoreError> {
    // Every write runs to its end; none is dropped halfway.
    let (a, b, c) = tokio::join!(
        write_file(primary, name, data),
        write_file(mirror, name, data),
        write_file(backup, name, data),
    );
    if let Err(failed) = a.and(b).and(c) {
        tokio::join!(
            primary.remove(name),
            mirror.remove(name),
            backup.remove(name)
        );
        return Err(failed);
    }
    Ok(())
}
