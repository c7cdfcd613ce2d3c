//! What the command line names: videos, image files and folders of them, each with the
//! artwork group its pictures get (one per video, one per folder) and a readable source.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// File extensions taken for videos; every other file is tried as an image.
pub const VIDEO_EXTENSIONS: [&str; 12] = [
    "mp4", "m4v", "mkv", "webm", "mov", "avi", "wmv", "flv", "mpg", "mpeg", "ts", "ogv",
];

/// A video to take stills from.
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    /// The file.
    pub path: PathBuf,
    /// Its file name (the manifest's `source_path`, with the still's time).
    pub name: String,
    /// Stem of its stills' file names.
    pub slug: String,
    /// Every still of the video shares this group.
    pub group: String,
}

/// An image file to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFile {
    /// The file.
    pub path: PathBuf,
    /// Its path from the named folder's name on (`photos/sub/a.jpg`): the manifest's
    /// `source_path`.
    pub source: String,
    /// Stem of the imported file's name.
    pub slug: String,
    /// Every image of one folder shares this group.
    pub group: String,
}

/// The inputs, sorted into videos and images.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Videos, in command-line order (folders' in name order).
    pub videos: Vec<Video>,
    /// Image files, in command-line order (folders' in name order).
    pub images: Vec<ImageFile>,
}

/// Sorts the named paths into videos and image files; folders are searched recursively
/// (hidden files skipped). A missing path or a folder with no files is an error.
pub fn gather(paths: &[PathBuf]) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    for path in paths {
        let absolute = std::path::absolute(path)
            .with_context(|| format!("cannot resolve {}", path.display()))?;
        if path.is_dir() {
            let files = files_under(path)?;
            if files.is_empty() {
                bail!("{} is an empty folder: nothing to collect", path.display());
            }
            let folder = Folder {
                path,
                name: file_name(&absolute),
            };
            for file in files {
                inputs.add(file, &folder);
            }
        } else if path.is_file() {
            let parent = absolute.parent().unwrap_or(&absolute);
            let folder = Folder {
                path: path.parent().unwrap_or(Path::new("")),
                name: file_name(parent),
            };
            inputs.add(path.clone(), &folder);
        } else {
            bail!("{} does not exist", path.display());
        }
    }
    Ok(inputs)
}

/// The folder a file was found in, as named on the command line, and its own name.
struct Folder<'a> {
    path: &'a Path,
    name: String,
}

impl Inputs {
    fn add(&mut self, path: PathBuf, folder: &Folder<'_>) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if is_video(&path) {
            self.videos.push(Video {
                name: file_name(&path),
                slug: slug(&stem),
                group: format!("video-{}", slug(&stem)),
                path,
            });
            return;
        }
        let relative = path.strip_prefix(folder.path).unwrap_or(&path);
        let source = Path::new(&folder.name)
            .join(relative)
            .to_string_lossy()
            .replace('\\', "/");
        let own_folder = match relative.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => file_name(parent),
            _ => folder.name.clone(),
        };
        let without_extension = source.rsplit_once('.').map_or(source.as_str(), |(s, _)| s);
        self.images.push(ImageFile {
            slug: slug(&without_extension.replace('/', "__")),
            group: format!("folder-{}", slug(&own_folder)),
            source,
            path,
        });
    }
}

fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file-name-safe form: letters, digits, `-` and `_` kept, any other run of characters
/// made one `_`, no `_` at either end.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Every non-hidden file under `dir`, sorted by path.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let path = entry?.path();
            if file_name(&path).starts_with('.') {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_videos_from_images_with_groups_per_video_and_folder() {
        let root = tempfile::tempdir().unwrap();
        let photos = root.path().join("My photos");
        fs::create_dir_all(photos.join("sub")).unwrap();
        for file in ["b.png", "Clip 1.MP4", ".hidden.png", "sub/a.jpg"] {
            fs::write(photos.join(file), b"x").unwrap();
        }
        let inputs = gather(std::slice::from_ref(&photos)).unwrap();
        assert_eq!(inputs.videos.len(), 1);
        let video = &inputs.videos[0];
        assert_eq!(
            (
                video.name.as_str(),
                video.slug.as_str(),
                video.group.as_str()
            ),
            ("Clip 1.MP4", "Clip_1", "video-Clip_1")
        );
        let images: Vec<(&str, &str, &str)> = inputs
            .images
            .iter()
            .map(|i| (i.source.as_str(), i.slug.as_str(), i.group.as_str()))
            .collect();
        assert_eq!(
            images,
            [
                ("My photos/b.png", "My_photos__b", "folder-My_photos"),
                ("My photos/sub/a.jpg", "My_photos__sub__a", "folder-sub"),
            ]
        );

        let single = gather(&[photos.join("b.png")]).unwrap();
        assert_eq!(single.images[0].source, "My photos/b.png");
    }

    #[test]
    fn refuses_missing_paths_and_empty_folders() {
        let root = tempfile::tempdir().unwrap();
        let error = gather(&[root.path().join("nowhere")]).unwrap_err();
        assert!(error.to_string().contains("does not exist"), "{error}");
        let error = gather(&[root.path().to_path_buf()]).unwrap_err();
        assert!(error.to_string().contains("empty folder"), "{error}");
    }
}
