//! `special-week collect`: stills from videos and pictures from folders into one class
//! folder of a dataset, near-duplicates dropped (against each other and against what the
//! dataset already holds), rows appended to its `manifest.csv`.

pub mod dataset_dir;
pub mod ffmpeg;
pub mod hash_index;
pub mod inputs;
pub mod picture;

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use indicatif::{ProgressBar, ProgressStyle};

use crate::manifest::Kind;
use dataset_dir::{DatasetDir, Row};
use ffmpeg::{Interval, Sampling};
use hash_index::HashIndex;

/// Default `--max-distance`. In the shared dataset most pairs of one portrait at two sizes
/// are 0–4 bits apart (up to 16 with another facial expression), while two different
/// characters' icons in the same frame can be as near as 11.
pub const DEFAULT_MAX_DISTANCE: u32 = 8;

/// Kinds a collected picture may be given (`synthetic` is the trainer's own).
pub const COLLECTED_KINDS: [Kind; 6] = [
    Kind::GameArt,
    Kind::FanArt,
    Kind::Illustration,
    Kind::Photo,
    Kind::OtherAnime,
    Kind::Unlisted,
];

/// The `collect` command line.
#[derive(Debug, Clone, clap::Args)]
pub struct CollectOptions {
    /// Videos (by extension: mp4, mkv, webm, mov, avi, …), image files, or folders of them.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Dataset folder to add to; created (with special_week/, other/ and manifest.csv)
    /// when missing.
    #[arg(long)]
    pub out: PathBuf,
    /// Class folder the pictures go into.
    #[arg(long)]
    pub class: String,
    /// Take a still from each video every this long (e.g. 0.5s, 250ms).
    #[arg(long, default_value = "0.5s")]
    pub every: Interval,
    /// Instead of --every, take the first frame and every frame whose scene-change score
    /// (0..1) exceeds this.
    #[arg(long, value_parser = parse_scene_threshold, conflicts_with = "every")]
    pub scene: Option<f64>,
    /// Perceptual hashes (144 bits) this many bits apart or fewer are near-duplicates.
    #[arg(long, default_value_t = DEFAULT_MAX_DISTANCE)]
    pub max_distance: u32,
    /// The manifest's `kind` of the collected pictures.
    #[arg(long, default_value = "unlisted", value_parser = kind_parser())]
    pub kind: Kind,
}

impl CollectOptions {
    fn sampling(&self) -> Sampling {
        self.scene
            .map_or(Sampling::Every(self.every), Sampling::Scene)
    }
}

fn parse_scene_threshold(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|t| (0.0..1.0).contains(t))
        .ok_or_else(|| format!("`{text}` is not a scene-change score in 0..1 such as 0.3"))
}

fn kind_parser() -> impl TypedValueParser<Value = Kind> {
    PossibleValuesParser::new(COLLECTED_KINDS.map(Kind::name)).map(|name| {
        COLLECTED_KINDS
            .into_iter()
            .find(|kind| kind.name() == name)
            .expect("clap only passes listed kinds")
    })
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Stills taken from videos plus image files found.
    pub extracted: usize,
    /// Near-duplicates of each other or of the dataset, dropped.
    pub duplicates: usize,
    /// Pictures that could not be decoded: source and reason.
    pub unreadable: Vec<(String, String)>,
    /// Pictures written into the class folder and the manifest.
    pub kept: usize,
    /// The class folder.
    pub folder: PathBuf,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} extracted, {} duplicates dropped, {} unreadable, {} kept in {}",
            self.extracted,
            self.duplicates,
            self.unreadable.len(),
            self.kept,
            self.folder.display()
        )?;
        for (source, reason) in &self.unreadable {
            write!(f, "\nunreadable: {source}: {reason}")?;
        }
        Ok(())
    }
}

/// A picture to consider: a still or an image file.
struct Candidate {
    path: PathBuf,
    /// File stem in the class folder.
    name: String,
    /// The manifest's `source_path`.
    source: String,
    group: String,
}

/// Runs `collect`. Every input is checked and every video's stills are taken before the
/// dataset is touched; if writing fails half-way, the pictures already written are
/// removed again, and the manifest is only ever replaced whole.
pub fn run(options: &CollectOptions) -> Result<Summary> {
    let dataset = DatasetDir::inspect(&options.out)?;
    let folder = dataset.class_folder(&options.class)?;
    let inputs = inputs::gather(&options.inputs)?;
    let staging = tempfile::tempdir().context("cannot make a temporary folder for stills")?;
    let mut candidates = Vec::new();
    if !inputs.videos.is_empty() {
        ffmpeg::ensure_available()?;
    }
    for (i, video) in inputs.videos.iter().enumerate() {
        let dir = staging.path().join(i.to_string());
        fs::create_dir(&dir)?;
        let spinner = spinner(format!("taking stills from {}", video.name));
        let stills = ffmpeg::extract(&video.path, options.sampling(), &dir);
        spinner.finish_and_clear();
        candidates.extend(stills?.into_iter().map(|still| Candidate {
            path: still.path,
            name: format!("{}_{:08}ms", video.slug, still.at.as_millis()),
            source: format!("{}@{}s", video.name, still.at.as_secs_f64()),
            group: video.group.clone(),
        }));
    }
    candidates.extend(inputs.images.into_iter().map(|image| Candidate {
        path: image.path,
        name: image.slug,
        source: image.source,
        group: image.group,
    }));

    dataset.create()?;
    let mut index = HashIndex::new(options.max_distance);
    let existing = dataset.pictures()?;
    let bar = progress(existing.len(), "comparing with the dataset");
    for path in &existing {
        if let Ok(picture) = picture::load(path) {
            index.insert(index.hash(&picture::as_seen(&picture)));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut summary = Summary {
        extracted: candidates.len(),
        duplicates: 0,
        unreadable: Vec::new(),
        kept: 0,
        folder: folder.clone(),
    };
    let mut written = Vec::new();
    let added = add(
        &candidates,
        options,
        &folder,
        &mut index,
        &mut summary,
        &mut written,
    )
    .and_then(|rows| {
        if rows.is_empty() {
            Ok(())
        } else {
            dataset.append(&rows)
        }
    });
    if let Err(error) = added {
        for path in &written {
            // Best effort: the error below is what the user needs to see.
            let _ = fs::remove_file(path);
        }
        return Err(error);
    }
    summary.kept = written.len();
    Ok(summary)
}

/// Decodes, compares and writes every candidate; returns the manifest rows of those kept
/// and lists their files in `written`.
fn add(
    candidates: &[Candidate],
    options: &CollectOptions,
    folder: &Path,
    index: &mut HashIndex,
    summary: &mut Summary,
    written: &mut Vec<PathBuf>,
) -> Result<Vec<Row>> {
    let mut taken: HashSet<String> = fs::read_dir(folder)
        .with_context(|| format!("cannot read {}", folder.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let mut rows = Vec::new();
    let bar = progress(candidates.len(), "adding pictures");
    for candidate in candidates {
        bar.inc(1);
        let picture = match picture::load(&candidate.path) {
            Ok(picture) => picture,
            Err(reason) => {
                summary.unreadable.push((candidate.source.clone(), reason));
                continue;
            }
        };
        let hash = index.hash(&picture::as_seen(&picture));
        if index.is_duplicate(&hash) {
            summary.duplicates += 1;
            continue;
        }
        index.insert(hash);
        let file_name = free_name(&mut taken, &candidate.name);
        let path = folder.join(&file_name);
        picture::save_png(&picture, &path)?;
        written.push(path);
        rows.push(Row {
            file: format!("{}/{file_name}", options.class),
            class: options.class.clone(),
            source_path: candidate.source.clone(),
            group: candidate.group.clone(),
            kind: options.kind,
        });
    }
    bar.finish_and_clear();
    Ok(rows)
}

/// `stem.png`, or `stem-2.png`, `stem-3.png`, … when that is taken; marks it taken.
fn free_name(taken: &mut HashSet<String>, stem: &str) -> String {
    let name = (1..)
        .map(|n| match n {
            1 => format!("{stem}.png"),
            n => format!("{stem}-{n}.png"),
        })
        .find(|name| !taken.contains(name))
        .expect("some suffix is free");
    taken.insert(name.clone());
    name
}

fn progress(len: usize, message: &'static str) -> ProgressBar {
    ProgressBar::new(len as u64)
        .with_style(
            ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}, eta {eta}")
                .expect("valid template"),
        )
        .with_message(message)
}

fn spinner(message: String) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_get_a_suffix_when_taken() {
        let mut taken = HashSet::from(["a.png".to_string()]);
        assert_eq!(free_name(&mut taken, "a"), "a-2.png");
        assert_eq!(free_name(&mut taken, "a"), "a-3.png");
        assert_eq!(free_name(&mut taken, "b"), "b.png");
    }
}
