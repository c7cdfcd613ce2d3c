//! The classifier's errors as the protocol's failure kinds, which the page words for
//! people. The matches are exhaustive: a new classifier error needs a kind here.

use classifier::PreprocessError;
use classifier::meta::MetaError;
use classifier::model::{ClassifyError, ModelError};
use worker_protocol::{Failure, ModelFailure};

/// Why an image could not be classified, as a [`Failure`].
pub fn of_classify(error: &ClassifyError) -> Failure {
    match error {
        ClassifyError::Image(PreprocessError::Empty) => Failure::Empty,
        ClassifyError::Image(PreprocessError::Unsupported) => Failure::Unsupported,
        ClassifyError::Image(PreprocessError::TooLarge {
            width,
            height,
            limit_mp,
        }) => Failure::TooLarge {
            size: (*width > 0 && *height > 0).then_some((*width, *height)),
            limit_mp: *limit_mp,
        },
        ClassifyError::Image(PreprocessError::Corrupt(detail)) => Failure::Corrupt {
            detail: detail.clone(),
        },
        ClassifyError::Model(detail) => Failure::ModelRun {
            detail: detail.clone(),
        },
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
            (
                PreprocessError::Corrupt("truncated".into()),
                Failure::Corrupt {
                    detail: "truncated".into(),
                },
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
                limit_mp: 64,
            };
            assert_eq!(
                of_classify(&ClassifyError::Image(error)),
                Failure::TooLarge { size, limit_mp: 64 }
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
