//! `special-week classify --explain` with the bundled model: the occlusion map the page's
//! 「根拠を表示」 shows, in the CLI's JSON.

use std::path::{Path, PathBuf};
use std::process::Command;

use classifier::explain::GRID;
use image::{Rgb, RgbImage};
use serde_json::Value;

fn bundled_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../model")
}

/// A 120×80 picture with no flat area.
fn picture(dir: &Path) -> PathBuf {
    let image = RgbImage::from_fn(120, 80, |x, y| {
        Rgb([(x * 2) as u8, (y * 3) as u8, ((x + y) * 5) as u8])
    });
    let path = dir.join("picture.png");
    image.save(&path).unwrap();
    path
}

fn classify(args: &[&str], image: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_special-week"))
        .arg("classify")
        .args(args)
        .arg("--model")
        .arg(bundled_model())
        .arg(image)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn explain_adds_an_occlusion_map_that_tiles_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = picture(dir.path());
    let (ok, stdout) = classify(&["--json", "--explain"], &image);
    assert!(ok, "{stdout}");
    let line: Value = serde_json::from_str(stdout.trim()).unwrap();
    let map = &line["occlusion"];
    let cells = map["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), (GRID * GRID) as usize);
    let area: u64 = cells
        .iter()
        .map(|c| c["box"]["w"].as_u64().unwrap() * c["box"]["h"].as_u64().unwrap())
        .sum();
    assert_eq!(area, 120 * 80);
    let p_whole = map["p_whole"].as_f64().unwrap();
    let p = line["p_special_week"].as_f64().unwrap();
    assert!(
        (p_whole - p).abs() < 1e-5,
        "without crops the uncovered view is the answer: {p_whole} vs {p}"
    );

    let (_, plain) = classify(&["--json"], &image);
    let plain: Value = serde_json::from_str(plain.trim()).unwrap();
    assert!(plain.get("occlusion").is_none(), "only when asked: {plain}");

    let (ok, text) = classify(&["--explain"], &image);
    assert!(ok && text.contains("why: covering"), "{text}");
}
