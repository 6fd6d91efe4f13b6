//! Every random draw the simulator makes: the seeded account's people, the ids a loaded
//! backup lacks, tokens, page cursors and which request a fault hits. Its own module
//! because the account's generator, the backup loader and the server's state all draw
//! from it, and none of them should have to depend on another to do so.
//!
//! The generator is a hand-rolled SplitMix64 on purpose: its output is fixed forever,
//! whereas a library RNG may change its stream between versions and silently break the
//! committed example roster that names users of the seeded account.

/// A tiny deterministic random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// A Zoom-looking opaque id: 22 characters of base62.
    pub fn opaque_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..22).map(|_| ALPHABET[self.below(62) as usize] as char).collect()
    }
}
