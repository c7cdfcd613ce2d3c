//! Stills from videos with the `ffmpeg` program: one every fixed interval, or one per
//! scene change.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// How stills are taken from a video.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// One still every interval from the start: the frame shown at that time.
    Every(Interval),
    /// The first frame and every frame whose scene-change score (0..1) exceeds this.
    Scene(f64),
}

impl Sampling {
    /// The ffmpeg video filter that picks the stills.
    fn filter(self) -> String {
        match self {
            // `round=up`: the still for time t is the last frame at or before t (the
            // default, `near`, takes the last one before t + interval/2).
            Self::Every(interval) => {
                format!("fps=fps=1000000/{}:round=up", interval.0.as_micros())
            }
            Self::Scene(threshold) => format!("select='eq(n,0)+gt(scene,{threshold})'"),
        }
    }
}

/// A positive time span written as `0.5s`, `500ms` or `2` (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Duration);

impl FromStr for Interval {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
            (ms, 1e-3)
        } else {
            (text.strip_suffix('s').unwrap_or(text), 1.0)
        };
        let seconds = number
            .trim()
            .parse::<f64>()
            .ok()
            .map(|n| n * scale)
            .filter(|s| s.is_finite() && *s >= 1e-3 && *s <= 86_400.0)
            .ok_or_else(|| {
                format!("`{text}` is not an interval between 1ms and 24h such as 0.5s or 500ms")
            })?;
        Ok(Self(Duration::from_secs_f64(seconds)))
    }
}

/// A still written by ffmpeg.
#[derive(Debug, Clone, PartialEq)]
pub struct Still {
    /// The PNG file.
    pub path: PathBuf,
    /// Where in the video it was taken.
    pub at: Duration,
}

/// Fails with a one-line install hint unless `ffmpeg` runs.
pub fn ensure_available() -> Result<()> {
    match Command::new("ffmpeg").arg("-version").output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!(
            "ffmpeg is needed to take stills from videos and was not found: install it with \
             `apt-get install ffmpeg` (Debian's package; `cargo xtask test` installs it)"
        ),
    }
}

/// Writes the stills of `video` into the empty folder `dir` and lists them in time order.
/// A video ffmpeg cannot read is an error with ffmpeg's own last word on it.
pub fn extract(video: &Path, sampling: Sampling, dir: &Path) -> Result<Vec<Still>> {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(video)
        .args(["-map", "0:v:0", "-vf", &sampling.filter()])
        // File names are the still's time in milliseconds.
        .args([
            "-fps_mode",
            "vfr",
            "-enc_time_base:v",
            "1:1000",
            "-frame_pts",
            "1",
        ])
        .arg(dir.join("%012d.png"))
        .output()
        .context("could not run ffmpeg")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no message");
        // ffmpeg starts the line with the input's path, which the message already names.
        let prefix = format!("{}: ", video.display());
        let reason = last_line.strip_prefix(&prefix).unwrap_or(last_line).trim();
        bail!("ffmpeg cannot read the video {}: {reason}", video.display());
    }
    let mut stills: Vec<Still> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list ffmpeg's stills in {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let millis: u64 = path.file_stem()?.to_str()?.parse().ok()?;
            Some(Still {
                path,
                at: Duration::from_millis(millis),
            })
        })
        .collect();
    stills.sort_by_key(|still| still.at);
    Ok(stills)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_intervals_with_and_without_units() {
        let parse = |text: &str| text.parse::<Interval>().map(|i| i.0);
        assert_eq!(parse("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        for bad in ["", "s", "-1s", "0", "abc", "1h", "NaNs"] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn builds_ffmpeg_filters() {
        let every = Sampling::Every("0.25s".parse().unwrap());
        assert_eq!(every.filter(), "fps=fps=1000000/250000:round=up");
        assert_eq!(
            Sampling::Scene(0.3).filter(),
            "select='eq(n,0)+gt(scene,0.3)'"
        );
    }
}
