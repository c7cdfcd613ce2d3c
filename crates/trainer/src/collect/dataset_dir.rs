//! The dataset folder `collect` adds to: class folders beside `manifest.csv`. A missing
//! or empty folder becomes a new dataset; rows are appended to the manifest atomically
//! (a temporary file in the same folder, renamed over it).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::manifest::{Kind, MANIFEST_FILE};

/// Class folders of a new dataset.
pub const NEW_DATASET_CLASSES: [&str; 2] = ["special_week", "other"];

/// Columns of a new manifest, as in the shared dataset.
pub const MANIFEST_COLUMNS: [&str; 8] = [
    "file",
    "class",
    "character",
    "source_repo",
    "source_path",
    "commit",
    "group",
    "kind",
];

/// A dataset folder, existing or about to be made.
#[derive(Debug)]
pub struct DatasetDir {
    root: PathBuf,
    classes: Vec<String>,
}

/// One manifest row for a collected picture; the other columns stay empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Path from the dataset root, `class/name.png`.
    pub file: String,
    /// The class folder.
    pub class: String,
    /// Where the picture came from (`video.mp4@1.5s`, `folder/image.jpg`).
    pub source_path: String,
    /// The artwork group.
    pub group: String,
    /// What sort of picture it is.
    pub kind: Kind,
}

impl Row {
    fn field(&self, column: &str) -> &str {
        match column {
            "file" => &self.file,
            "class" => &self.class,
            "source_path" => &self.source_path,
            "group" => &self.group,
            "kind" => self.kind.name(),
            _ => "",
        }
    }
}

impl DatasetDir {
    /// Looks at `root` without changing anything. A dataset folder holds class folders and
    /// optionally `manifest.csv` (with at least the columns `file` and `group`); a missing
    /// or empty folder is a new dataset with [`NEW_DATASET_CLASSES`]. Anything else is an
    /// error.
    pub fn inspect(root: &Path) -> Result<Self> {
        let not_a_dataset = || {
            format!(
                "{} is not a dataset folder (class folders such as special_week/ and other/ \
                 beside a manifest.csv)",
                root.display()
            )
        };
        let mut classes = Vec::new();
        if root.exists() {
            if !root.is_dir() {
                bail!(not_a_dataset());
            }
            let mut stray_files = false;
            for entry in
                fs::read_dir(root).with_context(|| format!("cannot read {}", root.display()))?
            {
                let path = entry?.path();
                let name = path
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if name.starts_with('.') || name == MANIFEST_FILE {
                    continue;
                }
                if path.is_dir() {
                    classes.push(name);
                } else {
                    stray_files = true;
                }
            }
            let manifest = root.join(MANIFEST_FILE);
            if manifest.is_file() {
                let columns = header(
                    &fs::read(&manifest)
                        .with_context(|| format!("cannot read {}", manifest.display()))?,
                )?;
                if !["file", "group"]
                    .iter()
                    .all(|c| columns.iter().any(|h| h == c))
                {
                    bail!(
                        "{} is not a dataset manifest: it needs the columns file and group",
                        manifest.display()
                    );
                }
            } else if stray_files {
                bail!(not_a_dataset());
            }
        }
        if classes.len() < 2 {
            classes.extend(NEW_DATASET_CLASSES.map(String::from));
        }
        classes.sort();
        classes.dedup();
        Ok(Self {
            root: root.to_path_buf(),
            classes,
        })
    }

    /// The folder of `class`; a class the dataset does not have is an error.
    pub fn class_folder(&self, class: &str) -> Result<PathBuf> {
        if !self.classes.iter().any(|c| c == class) {
            bail!(
                "unknown --class {class}: {} has the classes {}",
                self.root.display(),
                self.classes.join(", ")
            );
        }
        Ok(self.root.join(class))
    }

    /// Makes the dataset folder, its class folders and a manifest with only the header,
    /// where they are missing.
    pub fn create(&self) -> Result<()> {
        for class in &self.classes {
            let dir = self.root.join(class);
            fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let manifest = self.root.join(MANIFEST_FILE);
        if !manifest.exists() {
            fs::write(&manifest, format!("{}\n", MANIFEST_COLUMNS.join(",")))
                .with_context(|| format!("cannot write {}", manifest.display()))?;
        }
        Ok(())
    }

    /// Every picture file in the class folders (hidden files left out), sorted.
    pub fn pictures(&self) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for class in &self.classes {
            let dir = self.root.join(class);
            if !dir.is_dir() {
                continue;
            }
            for entry in
                fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
            {
                let path = entry?.path();
                let hidden = path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if path.is_file() && !hidden {
                    files.push(path);
                }
            }
        }
        files.sort();
        Ok(files)
    }

    /// Appends rows to `manifest.csv` in its own column order and line endings, all at
    /// once: the new manifest is written beside it and renamed over it.
    pub fn append(&self, rows: &[Row]) -> Result<()> {
        let path = self.root.join(MANIFEST_FILE);
        let mut content =
            fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let columns = header(&content)?;
        let crlf = content
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|end| end > 0 && content[end - 1] == b'\r');
        let terminator = if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        if !content.is_empty() && !content.ends_with(b"\n") {
            let newline: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            content.extend_from_slice(newline);
        }
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(terminator)
            .from_writer(content);
        for row in rows {
            writer.write_record(columns.iter().map(|c| row.field(c)))?;
        }
        let content = writer
            .into_inner()
            .context("cannot encode the manifest rows")?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.root)
            .with_context(|| format!("cannot write in {}", self.root.display()))?;
        temp.write_all(&content)?;
        temp.as_file().sync_all()?;
        temp.as_file()
            .set_permissions(fs::metadata(&path)?.permissions())?;
        temp.persist(&path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }
}

/// The column names of a manifest's first line.
fn header(content: &[u8]) -> Result<Vec<String>> {
    let mut reader = csv::Reader::from_reader(content);
    Ok(reader
        .headers()
        .context("the manifest has no readable header")?
        .iter()
        .map(String::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> Row {
        Row {
            file: format!("other/{name}"),
            class: "other".into(),
            source_path: "a, b/c.png".into(),
            group: "folder-b".into(),
            kind: Kind::Photo,
        }
    }

    #[test]
    fn a_missing_folder_becomes_a_dataset_with_both_classes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new");
        let dataset = DatasetDir::inspect(&root).unwrap();
        assert!(!root.exists(), "inspect must not create anything");
        assert!(dataset.class_folder("special_week").is_ok());
        let error = dataset.class_folder("cats").unwrap_err().to_string();
        assert!(error.contains("unknown --class cats"), "{error}");
        dataset.create().unwrap();
        assert!(root.join("other").is_dir() && root.join("special_week").is_dir());
        dataset.append(&[row("x.png")]).unwrap();
        let manifest = crate::manifest::load(&root).unwrap().unwrap();
        assert_eq!(manifest["other/x.png"].group, "folder-b");
        assert_eq!(manifest["other/x.png"].kind, Kind::Photo);
    }

    #[test]
    fn appends_in_the_manifests_own_columns_and_line_endings() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("other")).unwrap();
        fs::create_dir_all(dir.path().join("special_week")).unwrap();
        let manifest = dir.path().join(MANIFEST_FILE);
        fs::write(&manifest, "kind,file,group\r\nphoto,other/a.png,g").unwrap();
        let dataset = DatasetDir::inspect(dir.path()).unwrap();
        dataset.append(&[row("b.png")]).unwrap();
        assert_eq!(
            fs::read_to_string(&manifest).unwrap(),
            "kind,file,group\r\nphoto,other/a.png,g\r\nphoto,other/b.png,folder-b\r\n"
        );
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            3,
            "a temporary file was left behind: {names:?}"
        );
    }

    #[test]
    fn refuses_folders_that_are_not_datasets() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let error = DatasetDir::inspect(dir.path()).unwrap_err().to_string();
        assert!(error.contains("is not a dataset folder"), "{error}");
        let error = DatasetDir::inspect(&dir.path().join("notes.txt"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not a dataset folder"), "{error}");
        fs::write(dir.path().join(MANIFEST_FILE), "name,size\n").unwrap();
        let error = DatasetDir::inspect(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("needs the columns file and group"),
            "{error}"
        );
    }
}
