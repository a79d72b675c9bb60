//! Sign-up: hash the password, store the user.

use pbkdf2::pbkdf2_hmac;
use sha2::Sha256;
use std::future::Future;

/// Deliberately slow: stolen hashes must be expensive to crack.
pub const ROUNDS: u32 = 20_000;

pub trait Users {
    fn save(&self, name: &str, hash: [u8; 32]) -> impl Future<Output = ()>;
}

/// Registers `name` with a hash of `password`, and returns the hash.
pub async fn register(users: &impl Users, name: &str, password: &str) -> [u8; 32] {
    let mut hash = [0u8; 32];
    pbkdf2_hmac::<Sha256>(password.as_bytes(), name.as_bytes(), ROUNDS, &mut hash);
    users.save(name, hash).await;
    hash
}
