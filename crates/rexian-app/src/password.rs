//! Passwords: the rule every place that sets one applies, and argon2id hashing on two
//! dedicated threads (memory bounded for the life of the process).

use argon2::password_hash::{
    self, rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Runs `f` on one of the password-hashing threads, with that thread's argon2 memory.
///
/// argon2 takes 19 MiB per hash. Left to malloc (on tokio's blocking pool), the heap grew by
/// 19.5 MiB with each of the first logins and kept it (250 MiB after 10 logins, 317 MiB in the
/// peak-day replay). Two dedicated threads, each reusing one block of memory, bound it to two
/// hashes' worth for the life of the process.
async fn on_hasher<T: Send + 'static>(
    f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Option<T> {
    use std::sync::{mpsc, Arc, Mutex, OnceLock};
    type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;
    const THREADS: usize = 2;
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rexian-hash-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-hashing thread");
            }
        }
        // With no thread started, the receiver is gone and every send below fails.
        Mutex::new(tx)
    });
    let (answer, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = answer.send(f(memory));
    });
    queue.lock().ok()?.send(job).ok()?;
    rx.await.ok()
}

/// `memory` sized for `params`: grown once, then reused.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    &mut memory[..params.block_count()]
}

/// The `len`-byte argon2 output of `password` and `salt`, computed in `memory`.
fn output(
    memory: &mut Vec<Block>,
    argon: &Argon2,
    password: &[u8],
    salt: password_hash::Salt,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    Output::init_with(len, |out| {
        Ok(argon.hash_password_into_with_memory(
            password,
            salt_bytes,
            out,
            blocks(memory, argon.params()),
        )?)
    })
}

/// argon2id with the default parameters, as a PHC string.
fn hash_with(memory: &mut Vec<Block>, password: &[u8]) -> password_hash::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let argon = Argon2::new(Algorithm::default(), Version::default(), params.clone());
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = output(memory, &argon, password, salt.as_salt(), len)?;
    Ok(PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and parameters).
fn verify_with(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let mut check = || -> password_hash::Result<bool> {
        let h = PasswordHash::new(phc)?;
        let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(h.algorithm)?;
        let version = h
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon = Argon2::new(algorithm, version, Params::try_from(&h)?);
        let computed = output(memory, &argon, password, salt, expected.len())?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    };
    check().unwrap_or(false)
}

/// Hashes a password with argon2id (off the async threads).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    on_hasher(move |memory| {
        hash_with(memory, password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .unwrap_or_else(|| Err(anyhow::anyhow!("no password-hashing thread is running")))
}

/// Checks a password against a stored argon2 hash (off the async threads).
pub async fn verify_password(password: String, hash: String) -> bool {
    on_hasher(move |memory| verify_with(memory, password.as_bytes(), &hash))
        .await
        .unwrap_or(false)
}

/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The password rule, for every place that sets a password (API, CLI, the first admin).
pub fn check_password_rule(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must have at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_agree_with_the_argon2_crate_and_reuse_memory() {
        let mut memory = Vec::new();
        let ours = hash_with(&mut memory, b"s3cret pass").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"s3cret pass", &parsed)
            .is_ok());
        assert!(verify_with(&mut memory, b"s3cret pass", &ours));
        assert!(!verify_with(&mut memory, b"s3cret pasS", &ours));
        let len = memory.len();
        assert_eq!(len, Params::default().block_count());

        // A hash made elsewhere, with other parameters and variant, verifies too.
        let salt = SaltString::generate(&mut OsRng);
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(8 * 1024, 3, 1, Some(24)).unwrap(),
        )
        .hash_password(b"old one", &salt)
        .unwrap()
        .to_string();
        assert!(verify_with(&mut memory, b"old one", &other));
        assert!(!verify_with(&mut memory, b"old two", &other));
        assert!(!verify_with(&mut memory, b"old one", "not a hash"));
        // The larger block stays allocated; a smaller hash does not shrink or regrow it.
        assert_eq!(memory.len(), len);
    }
}
