//! The hostile-file table (`tests/fixtures/hostile`) through the native classifier with the
//! bundled model: every file gets exactly its row's native outcome.

mod common;

use std::time::Instant;

use classifier::model::ClassifyError;
use classifier::preprocess::{NothingToJudge, PreprocessError};
use hostile_fixtures::{CASES, Decoder, Outcome, Refusal};

/// The table's outcome for what the classifier did.
fn outcome(result: &Result<classifier::Prediction, ClassifyError>) -> Outcome {
    let refusal = match result {
        Ok(_) => return Outcome::Verdict(Decoder::Builtin),
        Err(ClassifyError::Model(detail)) => panic!("the model failed: {detail}"),
        Err(ClassifyError::Image(error)) => match error {
            PreprocessError::Empty => Refusal::Empty,
            PreprocessError::Unsupported => Refusal::Unsupported,
            PreprocessError::TooLarge { .. } => Refusal::TooLarge,
            PreprocessError::Truncated => Refusal::Truncated,
            PreprocessError::Corrupt(_) => Refusal::Corrupt,
            PreprocessError::NothingToJudge(NothingToJudge::TooSmall { .. }) => Refusal::TooSmall,
            PreprocessError::NothingToJudge(NothingToJudge::FlatColour) => Refusal::FlatColour,
            PreprocessError::NothingToJudge(NothingToJudge::Transparent) => Refusal::Transparent,
        },
    };
    Outcome::Refused(refusal)
}

#[test]
fn every_hostile_file_gets_its_native_outcome() {
    assert!(CASES.len() >= 40, "the table has {} cases", CASES.len());
    let classifier = common::bundled();
    let mut wrong = Vec::new();
    for case in CASES {
        let bytes = (case.make)();
        let started = Instant::now();
        let result = classifier.classify(&bytes);
        let got = outcome(&result);
        eprintln!(
            "{:32} {:>10} bytes {:>6.0?} {got:?}",
            case.name,
            bytes.len(),
            started.elapsed()
        );
        if got != case.native {
            wrong.push(format!(
                "{}: expected {:?}, got {got:?} ({result:?})",
                case.name, case.native
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_pixel_limit_is_the_fixtures_limit() {
    let (width, height) = hostile_fixtures::AT_PIXEL_LIMIT;
    assert_eq!(
        u64::from(width) * u64::from(height),
        classifier::preprocess::MAX_PIXELS
    );
}
