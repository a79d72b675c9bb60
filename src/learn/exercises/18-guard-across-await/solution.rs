//! Active sessions and their refresh.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

pub trait AuthServer {
    /// A fresh token for `user`: a round trip to the auth server.
    fn renew(&self, user: u64) -> impl Future<Output = String>;
}

pub struct Sessions<A> {
    auth: A,
    active: Mutex<HashMap<u64, String>>,
}

impl<A: AuthServer> Sessions<A> {
    pub fn new(auth: A) -> Self {
        Sessions {
            auth,
            active: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces `user`'s token with a fresh one.
    pub async fn refresh(&self, user: u64) {
        let token = self.auth.renew(user).await;
        self.active.lock().unwrap().insert(user, token);
    }

    pub fn token(&self, user: u64) -> Option<String> {
        self.active.lock().unwrap().get(&user).cloned()
    }
}
