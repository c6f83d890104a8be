//! Identifiers: a small deterministic generator for the seed, random ones at run time.

/// SplitMix64: tiny, deterministic and good enough to make seed data look varied.
pub(crate) struct SeedRng(u64);

impl SeedRng {
    /// A generator that always yields the same sequence for the same `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 pseudo-random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (bound > 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// A 32-hex-digit id in the style SailPoint uses.
    pub(crate) fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// A fresh random 32-hex-digit id (access request ids, tracking ids, jti).
pub(crate) fn random_hex32() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The GraphQL node id 4me prints next to numeric ids: base64url of `gid://4me/<Kind>/<id>`.
pub(crate) fn node_id(kind: &str, id: u64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("gid://4me/{kind}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_matches_the_fixture() {
        assert_eq!(node_id("Req", 70001), "Z2lkOi8vNG1lL1JlcS83MDAwMQ");
    }

    #[test]
    fn seed_rng_is_deterministic() {
        assert_eq!(SeedRng::new(7).hex32(), SeedRng::new(7).hex32());
        assert_eq!(SeedRng::new(7).hex32().len(), 32);
    }
}
