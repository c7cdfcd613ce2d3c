//! `special-week collect` from the command line: stills from a video made here with
//! ffmpeg's test sources, images from a folder with a corrupt file, bad input, and the
//! trainer's dataset loader reading the result. Tests that need ffmpeg say so and pass
//! where it is not installed (`cargo xtask test` installs it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use image::{Rgb, RgbImage};
use regex::Regex;
use trainer::manifest::{Kind, MANIFEST_FILE};

fn collect(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_special-week"))
        .arg("collect")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("special-week runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn has_ffmpeg() -> bool {
    let found = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "skipped: ffmpeg is not installed (`apt-get install ffmpeg`; `cargo xtask test` \
             installs it)"
        );
    }
    found
}

/// Three 2-second scenes (SMPTE bars, RGB stripes, a colour chart) in one MPEG-4 video.
fn make_video(path: &Path) {
    let source = |filter: &str| format!("{filter}=size=320x240:rate=25:duration=2");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(["-f", "lavfi", "-i", &source("smptebars")])
        .args(["-f", "lavfi", "-i", &source("rgbtestsrc")])
        .args(["-f", "lavfi", "-i", "colorchart=rate=25:duration=2"])
        .args([
            "-filter_complex",
            "[0]setsar=1[a];[1]setsar=1[b];[2]scale=320:240,setsar=1[c];[a][b][c]concat=n=3:v=1:a=0",
        ])
        .args(["-c:v", "mpeg4", "-q:v", "3"])
        .arg(path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make the test video");
}

/// Four clearly different pictures, one of them larger than 512 px, and a corrupt file.
fn make_picture_folder(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let pattern = |width: u32, height: u32, f: fn(u32, u32) -> bool| {
        RgbImage::from_fn(width, height, |x, y| {
            if f(x * 64 / width, y * 64 / height) {
                Rgb([230, 40, 40])
            } else {
                Rgb([20, 20, 90])
            }
        })
    };
    pattern(900, 600, |x, _| x % 16 < 8)
        .save(dir.join("vertical.png"))
        .unwrap();
    pattern(64, 64, |_, y| y % 16 < 8)
        .save(dir.join("horizontal.jpg"))
        .unwrap();
    pattern(64, 64, |x, y| (x / 16 + y / 16) % 2 == 0)
        .save(dir.join("checks.png"))
        .unwrap();
    pattern(80, 64, |x, y| {
        (x as i32 - 32).pow(2) + (y as i32 - 32).pow(2) < 300
    })
    .save(dir.join("disc.bmp"))
    .unwrap();
    fs::write(dir.join("broken.png"), b"\x89PNG\r\n\x1a\n truncated").unwrap();
}

fn pngs_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
}

#[test]
fn three_scenes_give_three_stills_once_and_train_reads_the_dataset() {
    if !has_ffmpeg() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    make_video(&work.path().join("three scenes.mp4"));
    make_picture_folder(&work.path().join("pictures"));
    let args = [
        "three scenes.mp4",
        "--out",
        "data",
        "--class",
        "special_week",
        "--every",
        "0.25s",
        "--kind",
        "other-anime",
    ];

    let first = collect(&args, work.path());
    assert!(first.status.success(), "{first:?}");
    assert_eq!(
        stdout(&first).trim(),
        "24 extracted, 21 duplicates dropped, 0 unreadable, 3 kept in data/special_week"
    );
    let stills = pngs_in(&work.path().join("data/special_week"));
    assert_eq!(stills.len(), 3, "{stills:?}");
    let manifest = fs::read(work.path().join("data").join(MANIFEST_FILE)).unwrap();

    let second = collect(&args, work.path());
    assert!(second.status.success(), "{second:?}");
    assert!(
        stdout(&second).contains("24 duplicates dropped, 0 unreadable, 0 kept"),
        "{}",
        stdout(&second)
    );
    assert_eq!(pngs_in(&work.path().join("data/special_week")), stills);
    assert_eq!(
        fs::read(work.path().join("data").join(MANIFEST_FILE)).unwrap(),
        manifest
    );

    let negatives = collect(
        &["pictures", "--out", "data", "--class", "other"],
        work.path(),
    );
    assert!(negatives.status.success(), "{negatives:?}");
    let dataset = trainer::dataset::load(
        &work.path().join("data"),
        &Regex::new(trainer::DEFAULT_GROUP_REGEX).unwrap(),
    )
    .unwrap();
    assert_eq!(dataset.classes, ["other", "special_week"]);
    assert_eq!(dataset.class_counts(), [4, 3]);
    assert!(dataset.skipped.is_empty(), "{:?}", dataset.skipped);
    for sample in &dataset.samples {
        let (group, kind) = if sample.class == 1 {
            ("video-three_scenes", Kind::OtherAnime)
        } else {
            ("folder-pictures", Kind::Unlisted)
        };
        assert_eq!((sample.group.as_str(), sample.kind), (group, kind));
        assert!(sample.image.width().max(sample.image.height()) <= 512);
    }
}

#[test]
fn a_folder_with_a_corrupt_file_lists_it_and_imports_the_rest() {
    let work = tempfile::tempdir().unwrap();
    make_picture_folder(&work.path().join("pictures"));
    let output = collect(
        &["pictures", "--out", "data", "--class", "other"],
        work.path(),
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("5 extracted, 0 duplicates dropped, 1 unreadable, 4 kept in data/other")
    );
    let unreadable = lines.next().unwrap_or_default();
    assert!(
        unreadable.starts_with("unreadable: pictures/broken.png: "),
        "{text}"
    );
    let kept = pngs_in(&work.path().join("data/other"));
    let names: Vec<_> = kept
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "pictures__checks.png",
            "pictures__disc.png",
            "pictures__horizontal.png",
            "pictures__vertical.png"
        ]
    );
    let large = image::open(work.path().join("data/other/pictures__vertical.png")).unwrap();
    assert_eq!((large.width(), large.height()), (512, 341));
    let manifest = fs::read_to_string(work.path().join("data").join(MANIFEST_FILE)).unwrap();
    assert_eq!(manifest.lines().count(), 5, "{manifest}");
    assert!(
        manifest.contains(
            "other/pictures__disc.png,other,,,pictures/disc.bmp,,folder-pictures,unlisted"
        ),
        "{manifest}"
    );
}

/// Runs `collect`, expects a one-line error containing `expected`, and checks that the
/// dataset in `work/data` did not change.
fn assert_refused(work: &Path, args: &[&str], path_env: Option<&str>, expected: &str) {
    let before = snapshot(&work.join("data"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_special-week"));
    command.arg("collect").args(args).current_dir(work);
    if let Some(path) = path_env {
        command.env("PATH", path);
    }
    let output = command.output().unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains(expected),
        "{args:?}: {stderr}"
    );
    assert_eq!(
        snapshot(&work.join("data")),
        before,
        "{args:?} changed the dataset"
    );
}

/// Every file under `dir` with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn bad_input_is_a_one_line_error_and_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    make_picture_folder(&work.path().join("pictures"));
    let imported = collect(
        &["pictures", "--out", "data", "--class", "other"],
        work.path(),
    );
    assert!(imported.status.success(), "{imported:?}");
    fs::create_dir(work.path().join("empty")).unwrap();
    fs::write(work.path().join("notes.txt"), "not a dataset").unwrap();
    fs::write(work.path().join("clip.mp4"), "not a video").unwrap();

    assert_refused(
        work.path(),
        &["pictures", "--out", "data", "--class", "cats"],
        None,
        "unknown --class cats: data has the classes other, special_week",
    );
    assert_refused(
        work.path(),
        &["pictures", "--out", "notes.txt", "--class", "other"],
        None,
        "notes.txt is not a dataset folder",
    );
    assert_refused(
        work.path(),
        &["empty", "--out", "data", "--class", "other"],
        None,
        "empty is an empty folder",
    );
    assert_refused(
        work.path(),
        &["clip.mp4", "--out", "data", "--class", "special_week"],
        Some(""),
        "install it with `apt-get install ffmpeg`",
    );
}

#[test]
fn a_video_ffmpeg_cannot_read_stops_before_anything_is_written() {
    if !has_ffmpeg() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    make_picture_folder(&work.path().join("pictures"));
    fs::create_dir_all(work.path().join("data")).unwrap();
    fs::write(work.path().join("clip.mp4"), "not a video").unwrap();
    assert_refused(
        work.path(),
        &["pictures", "clip.mp4", "--out", "data", "--class", "other"],
        None,
        "ffmpeg cannot read the video clip.mp4: Invalid data found when processing input",
    );
}
