//! Class-folder datasets: `root/<class>/<image files>`, classes sorted by folder name,
//! with groups and kinds from `root/manifest.csv` when there is one.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use image::{RgbImage, RgbaImage};
use regex::Regex;

use crate::composite;
use crate::manifest::{self, Kind};

/// One decoded image with its class and artwork group.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Where it was read from.
    pub path: PathBuf,
    /// Index into [`Dataset::classes`].
    pub class: usize,
    /// The artwork it shows; samples of one group never sit on both sides of a split.
    pub group: String,
    /// What sort of picture it is.
    pub kind: Kind,
    /// Who it shows (manifest text; empty without a manifest).
    pub character: String,
    /// The decoded, upright RGB image (before resizing), transparency on white.
    pub image: RgbImage,
    /// The character cut out by its alpha channel, when the picture has one that outlines
    /// a character (see [`composite::cutout`]).
    pub cutout: Option<RgbaImage>,
}

/// A loaded dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Class (folder) names, sorted.
    pub classes: Vec<String>,
    /// All readable images.
    pub samples: Vec<Sample>,
    /// Files that could not be decoded, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

impl Dataset {
    /// Group of every sample.
    pub fn groups(&self) -> Vec<String> {
        self.samples.iter().map(|s| s.group.clone()).collect()
    }

    /// Appends `count` generated pictures with nothing in them (kind
    /// [`Kind::Synthetic`], each its own group) to class `class`.
    pub fn add_synthetic(&mut self, count: usize, class: usize, rng: &mut impl rand::Rng) {
        for (name, image) in crate::synthetic::generate(count, rng) {
            self.samples.push(Sample {
                path: PathBuf::from(format!("generated/{name}.png")),
                class,
                group: name,
                kind: Kind::Synthetic,
                character: String::new(),
                image,
                cutout: None,
            });
        }
    }

    /// Number of samples of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for sample in &self.samples {
            counts[sample.class] += 1;
        }
        counts
    }
}

/// The group of a file: the regex's first capture (or whole match) in the file name, or
/// the file name itself when it does not match (a group of its own).
pub fn group_of(path: &Path, group_regex: &Regex) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match group_regex.captures(&name) {
        Some(caps) => caps
            .get(1)
            .or_else(|| caps.get(0))
            .map(|m| m.as_str().to_string())
            .unwrap_or(name),
        None => name,
    }
}

/// Reads every class folder under `root`. Exactly two classes are required; unreadable
/// files are skipped and listed. Groups and kinds come from `root/manifest.csv` when it
/// lists the file, else the group from `group_regex` and the kind [`Kind::Unlisted`].
pub fn load(root: &Path, group_regex: &Regex) -> Result<Dataset> {
    let manifest = manifest::load(root)?.unwrap_or_default();
    let mut class_dirs: Vec<PathBuf> = fs::read_dir(root)
        .with_context(|| format!("cannot read dataset folder {}", root.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir() && !is_hidden(path))
        .collect();
    class_dirs.sort();
    if class_dirs.len() != 2 {
        bail!(
            "{} has {} class folder(s); training needs exactly two (e.g. special_week/ and other/)",
            root.display(),
            class_dirs.len()
        );
    }
    let mut dataset = Dataset {
        classes: Vec::new(),
        samples: Vec::new(),
        skipped: Vec::new(),
    };
    for (class, dir) in class_dirs.iter().enumerate() {
        dataset.classes.push(
            dir.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        );
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && !is_hidden(path))
            .collect();
        files.sort();
        let before = dataset.samples.len();
        for path in files {
            let decoded = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    classifier::preprocess::decode_upright(&bytes).map_err(|e| e.to_string())
                });
            match decoded {
                Ok(upright) => {
                    let listed = path.strip_prefix(root).ok().and_then(|relative| {
                        manifest.get(&relative.to_string_lossy().replace('\\', "/"))
                    });
                    let (group, kind, character) = match listed {
                        Some(entry) => (entry.group.clone(), entry.kind, entry.character.clone()),
                        None => (group_of(&path, group_regex), Kind::Unlisted, String::new()),
                    };
                    let cutout = if kind.has_no_character() {
                        None
                    } else {
                        composite::cutout(&upright)
                    };
                    dataset.samples.push(Sample {
                        path,
                        class,
                        group,
                        kind,
                        character,
                        image: classifier::preprocess::flatten_onto_white(upright),
                        cutout,
                    });
                }
                Err(reason) => dataset.skipped.push((path, reason)),
            }
        }
        if dataset.samples.len() == before {
            bail!("class folder {} has no readable images", dir.display());
        }
    }
    Ok(dataset)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}
