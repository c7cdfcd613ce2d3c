//! Near-duplicate detection: a perceptual hash of every picture seen so far, and the
//! Hamming distance at or below which a new picture counts as one of them.

use image::RgbImage;
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};

/// Perceptual hashes of the pictures already kept (or already in the dataset).
pub struct HashIndex {
    hasher: Hasher,
    hashes: Vec<ImageHash>,
    max_distance: u32,
}

impl HashIndex {
    /// An empty index; pictures whose hashes differ in at most `max_distance` bits (of
    /// [`HashIndex::BITS`]) are near-duplicates.
    pub fn new(max_distance: u32) -> Self {
        Self {
            hasher: HasherConfig::new()
                .hash_alg(HashAlg::DoubleGradient)
                .hash_size(16, 16)
                .to_hasher(),
            hashes: Vec::new(),
            max_distance,
        }
    }

    /// Bits in one hash: the upper bound of a Hamming distance.
    pub const BITS: u32 = 2 * 8 * 9;

    /// The picture's hash (brightness gradients along rows and columns of a 9×9 thumbnail).
    pub fn hash(&self, image: &RgbImage) -> ImageHash {
        self.hasher.hash_image(image)
    }

    /// Whether a hash is within the distance of one already in the index.
    pub fn is_duplicate(&self, hash: &ImageHash) -> bool {
        self.hashes
            .iter()
            .any(|seen| seen.dist(hash) <= self.max_distance)
    }

    /// Adds a hash to the index.
    pub fn insert(&mut self, hash: ImageHash) {
        self.hashes.push(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn stripes(vertical: bool, shade: u8) -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| {
            let band = if vertical { x / 8 } else { y / 8 };
            if band % 2 == 0 {
                Rgb([shade; 3])
            } else {
                Rgb([255 - shade; 3])
            }
        })
    }

    #[test]
    fn a_resized_copy_is_a_duplicate_and_another_pattern_is_not() {
        let mut index = HashIndex::new(8);
        let original = stripes(true, 20);
        index.insert(index.hash(&original));
        let smaller = image::imageops::resize(&original, 32, 24, image::imageops::Triangle);
        assert!(index.is_duplicate(&index.hash(&smaller)));
        assert!(!index.is_duplicate(&index.hash(&stripes(false, 20))));
        let hash = index.hash(&original);
        assert_eq!(hash.as_bytes().len() * 8, HashIndex::BITS as usize);
    }
}
