//! Cheap hash-map keys for what passes learn, looked up at every node.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A type, by the `&'static str` of `std::any::type_name`, compared by
/// address: a name the compiler emits twice only costs a pass more.
#[derive(Debug, Clone, Copy)]
pub(super) struct TypeKey(pub(super) &'static str);

impl PartialEq for TypeKey {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for TypeKey {}

impl Hash for TypeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.as_ptr() as usize);
    }
}

/// A multiplicative hasher for keys that are one or two machine words
/// (addresses, node hashes, ids); no protection against chosen keys is
/// needed, as none of them come from the input.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

/// A hash map with [`WordHasher`].
pub(super) type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::any::type_name;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn hash(value: impl Hash) -> u64 {
        BuildHasherDefault::<WordHasher>::default().hash_one(value)
    }

    #[test]
    fn distinct_keys_hash_apart() {
        let pairs: HashSet<u64> = (0..64_u64)
            .flat_map(|a| (0..64_u64).map(move |b| hash((a, b))))
            .collect();
        assert_eq!(pairs.len(), 64 * 64, "pairs of words");
        let words: HashSet<u64> = (0..1_000_usize).map(hash).collect();
        assert_eq!(words.len(), 1_000, "machine words");
        assert_ne!(hash([1_u8, 2]), hash([2_u8, 1]), "bytes");
    }

    #[test]
    fn a_type_key_is_its_name_by_address() {
        let (a, b) = (TypeKey(type_name::<u8>()), TypeKey(type_name::<u16>()));
        assert_eq!(a, TypeKey(type_name::<u8>()));
        assert_ne!(a, b);
        assert_ne!(hash(a), hash(b));
    }
}
