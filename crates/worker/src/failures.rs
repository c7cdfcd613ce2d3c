//! The classifier's errors as the protocol's failure kinds, which the page words for
//! people. The matches are exhaustive: a new classifier error needs a kind here.

use classifier::PreprocessError;
use classifier::meta::MetaError;
use classifier::model::{ClassifyError, ModelError};
use classifier::preprocess;
use worker_protocol::{Failure, ModelFailure, NothingToJudge};

/// Why an image could not be classified, as a [`Failure`].
pub fn of_classify(error: &ClassifyError) -> Failure {
    match error {
        ClassifyError::Image(error) => of_image(error),
        ClassifyError::Model(detail) => Failure::ModelRun {
            detail: detail.clone(),
        },
    }
}

/// Why an image could not be made model input, as a [`Failure`].
pub fn of_image(error: &PreprocessError) -> Failure {
    match error {
        PreprocessError::Empty => Failure::Empty,
        PreprocessError::Unsupported => Failure::Unsupported,
        PreprocessError::TooLarge {
            width,
            height,
            limit,
        } => Failure::TooLarge {
            size: (*width > 0 && *height > 0).then_some((*width, *height)),
            limit_pixels: *limit,
        },
        PreprocessError::Truncated => Failure::Truncated,
        PreprocessError::Corrupt(detail) => Failure::Corrupt {
            detail: detail.clone(),
        },
        PreprocessError::NothingToJudge(why) => Failure::NothingToJudge(match why {
            preprocess::NothingToJudge::TooSmall { width, height } => NothingToJudge::TooSmall {
                width: *width,
                height: *height,
                min_side: preprocess::content::MIN_SIDE,
            },
            preprocess::NothingToJudge::Transparent => NothingToJudge::Transparent,
            preprocess::NothingToJudge::FlatColour => NothingToJudge::FlatColour,
        }),
    }
}

/// Why a model could not be loaded, as a [`ModelFailure`].
pub fn of_model(error: &ModelError) -> ModelFailure {
    match error {
        ModelError::Meta(MetaError::Parse(detail)) => ModelFailure::MetaInvalid {
            detail: detail.clone(),
        },
        ModelError::Meta(MetaError::Inconsistent(detail)) => ModelFailure::MetaInconsistent {
            detail: detail.clone(),
        },
        ModelError::Checksum { expected, actual } => ModelFailure::Checksum {
            expected: expected.clone(),
            actual: actual.clone(),
        },
        ModelError::Onnx(detail) => ModelFailure::Onnx {
            detail: detail.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_image_error_has_its_own_kind() {
        let cases = [
            (PreprocessError::Empty, Failure::Empty),
            (PreprocessError::Unsupported, Failure::Unsupported),
            (PreprocessError::Truncated, Failure::Truncated),
            (
                PreprocessError::Corrupt("bad CRC".into()),
                Failure::Corrupt {
                    detail: "bad CRC".into(),
                },
            ),
            (
                PreprocessError::NothingToJudge(preprocess::NothingToJudge::TooSmall {
                    width: 1,
                    height: 40,
                }),
                Failure::NothingToJudge(NothingToJudge::TooSmall {
                    width: 1,
                    height: 40,
                    min_side: 16,
                }),
            ),
            (
                PreprocessError::NothingToJudge(preprocess::NothingToJudge::Transparent),
                Failure::NothingToJudge(NothingToJudge::Transparent),
            ),
            (
                PreprocessError::NothingToJudge(preprocess::NothingToJudge::FlatColour),
                Failure::NothingToJudge(NothingToJudge::FlatColour),
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(of_classify(&ClassifyError::Image(error)), kind);
        }
        assert_eq!(
            of_classify(&ClassifyError::Model("boom".into())),
            Failure::ModelRun {
                detail: "boom".into()
            }
        );
    }

    #[test]
    fn too_large_keeps_the_size_only_when_known() {
        for ((width, height), size) in [((9000, 8000), Some((9000, 8000))), ((0, 0), None)] {
            let error = PreprocessError::TooLarge {
                width,
                height,
                limit: 64_000_000,
            };
            assert_eq!(
                of_image(&error),
                Failure::TooLarge {
                    size,
                    limit_pixels: 64_000_000
                }
            );
        }
    }

    #[test]
    fn each_model_error_has_its_own_kind() {
        assert_eq!(
            of_model(&ModelError::Meta(MetaError::Parse("EOF".into()))),
            ModelFailure::MetaInvalid {
                detail: "EOF".into()
            }
        );
        assert_eq!(
            of_model(&ModelError::Meta(MetaError::Inconsistent("size 0".into()))),
            ModelFailure::MetaInconsistent {
                detail: "size 0".into()
            }
        );
        assert_eq!(
            of_model(&ModelError::Checksum {
                expected: "a".into(),
                actual: "b".into()
            }),
            ModelFailure::Checksum {
                expected: "a".into(),
                actual: "b".into()
            }
        );
        assert_eq!(
            of_model(&ModelError::Onnx("bad graph".into())),
            ModelFailure::Onnx {
                detail: "bad graph".into()
            }
        );
    }
}
