//! Every transition of the page, natively: files are `&'static str` handles.

use worker_protocol::{Decoder, Failure, ModelFailure, Verdict};

use super::*;
use crate::heat_map::HeatMap;

type Effects = Vec<Effect<&'static str>>;
type Page = Session<&'static str>;

fn clock() -> f64 {
    1500.0
}

fn bundled_files() -> ModelFiles {
    ModelFiles {
        meta_json: "{\"bundled\": true}".into(),
        onnx: vec![1, 2, 3],
    }
}

fn own_files() -> ModelFiles {
    ModelFiles {
        meta_json: "{\"own\": true}".into(),
        onnx: vec![9, 9],
    }
}

fn load(files: &ModelFiles) -> Effect<&'static str> {
    Effect::Post(Request::LoadModel(Rc::new(files.clone())))
}

fn classify(card: u64, file: &'static str) -> Effect<&'static str> {
    Effect::Post(Request::Classify { card, file })
}

fn verdict(p: f32) -> Verdict {
    Verdict {
        answer: "これは スペシャルウィーク です".into(),
        is_special_week: true,
        p_special_week: p,
        infer_ms: 12.0,
        run_ms: 10.0,
        best_box: None,
        decoder: Decoder::Builtin,
        crops: vec![],
    }
}

fn said(output: WorkerOutput) -> Event<&'static str> {
    Event::WorkerOutput(output)
}

fn ready() -> Event<&'static str> {
    said(WorkerOutput::ModelReady { load_ms: 5.0 })
}

fn arrived(ticket: u64, files: ModelFiles) -> Event<&'static str> {
    Event::ModelFilesArrived {
        ticket,
        result: Ok(files),
    }
}

fn chosen(names: &[&'static str]) -> Event<&'static str> {
    Event::FilesChosen(
        names
            .iter()
            .map(|name| Chosen {
                name: name.to_string(),
                size: 1000,
                preview: Some(format!("blob:{name}")),
                file: *name,
            })
            .collect(),
    )
}

/// The user chooses `model.json` and `mine.onnx` for their own model.
fn own_model_chosen() -> Event<&'static str> {
    Event::OwnModelChosen(vec![
        ("model.json".into(), "json"),
        ("mine.onnx".into(), "onnx"),
    ])
}

fn status(session: &Page, card: u64) -> &Status {
    &session
        .cards()
        .iter()
        .find(|c| c.id == card)
        .expect("the card")
        .status
}

fn problem(session: &Page, card: u64) -> &CardProblem {
    match status(session, card) {
        Status::Failed(problem) => problem,
        other => panic!("card {card} is {other:?}, not failed"),
    }
}

/// A page whose bundled model is loaded, with a listening worker.
fn ready_page() -> Page {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(said(WorkerOutput::Started));
    session.handle(arrived(1, bundled_files()));
    session.handle(ready());
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    session
}

/// Chooses one file, whose handle is its name, on `session`; gives the card's id and the
/// effects.
fn give_image(session: &mut Page, name: &'static str) -> (u64, Effects) {
    let effects = session.handle(chosen(&[name]));
    let card = session.cards()[0].id;
    (card, effects)
}

#[test]
fn requests_go_to_the_worker_as_their_wire_form() {
    let files = bundled_files();
    assert_eq!(
        Request::<&str>::LoadModel(Rc::new(files.clone())).wire(),
        WorkerInputRef::LoadModel {
            meta_json: &files.meta_json,
            onnx: &files.onnx
        }
    );
    assert_eq!(Request::<&str>::LoadModel(Rc::new(files)).file(), None);
    let request = Request::Classify {
        card: 4,
        file: "a.png",
    };
    assert_eq!(request.wire(), WorkerInputRef::Classify { card: 4 });
    assert_eq!(
        request.file(),
        Some(&"a.png"),
        "the file goes beside the request"
    );
    let explain = Request::<&str>::Explain { card: 4 };
    assert_eq!(explain.wire(), WorkerInputRef::Explain { card: 4 });
    assert_eq!(explain.file(), None);
}

#[test]
fn the_page_starts_a_worker_and_downloads_the_bundled_model() {
    let (session, effects): (Page, Effects) = Session::start(None, 2, clock);
    assert_eq!(
        effects,
        vec![
            Effect::SpawnWorker { threads: 2 },
            Effect::Download {
                dir: "model".into(),
                ticket: 1
            }
        ]
    );
    assert_eq!(session.model().name(), "downloading");
    assert!(session.cards().is_empty());
}

#[test]
fn a_query_names_the_model_directory() {
    let (session, effects): (Page, Effects) = Session::start(Some("models/keras/"), 2, clock);
    assert_eq!(
        effects[1],
        Effect::Download {
            dir: "models/keras".into(),
            ticket: 1
        }
    );
    assert_eq!(
        session.source(),
        &ModelSource::Served {
            dir: "models/keras".into()
        }
    );
}

#[test]
fn a_foreign_query_downloads_nothing_and_retry_loads_the_bundled_model() {
    let (mut session, effects): (Page, Effects) =
        Session::start(Some("https://evil.example/m"), 2, clock);
    assert_eq!(effects, vec![Effect::SpawnWorker { threads: 2 }]);
    assert!(matches!(
        session.model(),
        ModelState::Failed(ModelProblem::Query(_))
    ));
    let effects = session.handle(Event::Retry);
    assert_eq!(
        effects,
        vec![Effect::Download {
            dir: "model".into(),
            ticket: 1
        }]
    );
}

#[test]
fn download_progress_shows_until_the_files_arrive() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    let progress = Progress {
        loaded: 10,
        total: Some(100),
    };
    session.handle(Event::DownloadProgress {
        ticket: 1,
        file: "special_week.onnx".into(),
        progress,
    });
    assert_eq!(
        session.model(),
        &ModelState::Downloading {
            file: "special_week.onnx".into(),
            progress
        }
    );
    session.handle(arrived(1, bundled_files()));
    assert_eq!(session.model(), &ModelState::Preparing);
}

#[test]
fn the_model_waits_until_the_worker_listens() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    assert_eq!(
        session.handle(arrived(1, bundled_files())),
        vec![],
        "nothing is posted before the worker listens"
    );
    assert_eq!(
        session.handle(said(WorkerOutput::Started)),
        vec![load(&bundled_files())]
    );
    session.handle(ready());
    assert_eq!(
        session.model(),
        &ModelState::Ready {
            since_page_ms: 1500.0,
            load_ms: 5.0
        }
    );
}

#[test]
fn files_chosen_before_the_model_is_ready_wait_and_then_go_in_order() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    let effects = session.handle(chosen(&["a.png", "b.png"]));
    assert_eq!(effects, vec![], "the page reads nothing");
    let names: Vec<&str> = session.cards().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["b.png", "a.png"], "newest first");
    assert_eq!(status(&session, 0), &Status::Queued);
    assert_eq!(status(&session, 1), &Status::Queued);
    session.handle(said(WorkerOutput::Started));
    assert_eq!(
        session.handle(arrived(1, bundled_files())),
        vec![load(&bundled_files())],
        "the model goes before the images that wait for it"
    );
    assert_eq!(status(&session, 1), &Status::Queued);
    assert_eq!(
        session.handle(ready()),
        vec![classify(0, "a.png"), classify(1, "b.png")]
    );
    assert_eq!(status(&session, 1), &Status::Classifying);
    session.handle(said(WorkerOutput::Classified {
        card: 0,
        outcome: Ok(verdict(0.9)),
    }));
    assert_eq!(status(&session, 0), &Status::Done(verdict(0.9)));
    assert_eq!(status(&session, 1), &Status::Classifying);
    assert_eq!(
        session.handle(ready()),
        vec![],
        "a file goes to the worker once"
    );
}

#[test]
fn an_image_given_to_a_ready_page_goes_at_once() {
    let mut session = ready_page();
    let (card, effects) = give_image(&mut session, "a.png");
    assert_eq!(
        effects,
        vec![classify(card, "a.png")],
        "unread, with its handle"
    );
    assert_eq!(status(&session, card), &Status::Classifying);
}

#[test]
fn an_unreadable_file_fails_its_card_and_revokes_its_preview() {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "a.png");
    let unreadable = Failure::Unreadable {
        detail: "NotReadableError".into(),
    };
    let effects = session.handle(said(WorkerOutput::Classified {
        card,
        outcome: Err(unreadable.clone()),
    }));
    assert_eq!(effects, vec![Effect::RevokePreview("blob:a.png".into())]);
    assert_eq!(problem(&session, card), &CardProblem::Worker(unreadable));
    assert_eq!(problem(&session, card).kind(), "unreadable");
    assert_eq!(session.previews().count(), 0);
}

#[test]
fn the_worker_s_failure_kind_reaches_the_card() {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "notes.txt");
    let effects = session.handle(said(WorkerOutput::Classified {
        card,
        outcome: Err(Failure::Unsupported),
    }));
    assert_eq!(
        effects,
        vec![Effect::RevokePreview("blob:notes.txt".into())]
    );
    assert_eq!(
        problem(&session, card),
        &CardProblem::Worker(Failure::Unsupported)
    );
}

#[test]
fn a_done_card_keeps_its_preview_until_the_page_goes() {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "a.png");
    let effects = session.handle(said(WorkerOutput::Classified {
        card,
        outcome: Ok(verdict(0.2)),
    }));
    assert_eq!(effects, vec![]);
    assert_eq!(session.previews().collect::<Vec<_>>(), ["blob:a.png"]);
}

#[test]
fn answers_for_cards_never_posted_are_ignored() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(chosen(&["a.png"]));
    session.handle(said(WorkerOutput::Classified {
        card: 0,
        outcome: Ok(verdict(0.5)),
    }));
    assert_eq!(status(&session, 0), &Status::Queued);
    session.handle(said(WorkerOutput::Classified {
        card: 77,
        outcome: Ok(verdict(0.5)),
    }));
    assert_eq!(session.cards().len(), 1);
}

#[test]
fn a_crash_fails_the_cards_with_the_worker_and_keeps_the_others_waiting() {
    let mut session = ready_page();
    let (sent, _) = give_image(&mut session, "sent.png");
    let effects = session.handle(Event::WorkerCrashed("RuntimeError: unreachable".into()));
    assert_eq!(
        effects,
        vec![
            Effect::StopWorker,
            Effect::RevokePreview("blob:sent.png".into())
        ]
    );
    assert_eq!(problem(&session, sent), &CardProblem::WorkerStopped);
    assert_eq!(
        session.model(),
        &ModelState::Failed(ModelProblem::WorkerStopped {
            detail: "RuntimeError: unreachable".into()
        })
    );
    let (later, effects) = give_image(&mut session, "later.png");
    assert_eq!(effects, vec![], "nothing is posted to a stopped worker");
    assert_eq!(status(&session, later), &Status::Queued);
    // The dead worker's last words are ignored.
    session.handle(said(WorkerOutput::Classified {
        card: sent,
        outcome: Ok(verdict(0.5)),
    }));
    assert_eq!(problem(&session, sent), &CardProblem::WorkerStopped);
}

#[test]
fn crash_then_retry_restarts_the_worker_resends_the_model_and_classifies() {
    let mut session = ready_page();
    give_image(&mut session, "sent.png");
    session.handle(Event::WorkerCrashed("killed".into()));
    let (waiting, _) = give_image(&mut session, "waiting.png");
    assert_eq!(
        session.threads(),
        1,
        "the lost 2-thread worker is not tried again"
    );
    assert_eq!(
        session.handle(Event::Retry),
        vec![Effect::SpawnWorker { threads: 1 }],
        "the single-threaded worker starts; the model the old worker had is sent again, \
         without downloading it"
    );
    assert_eq!(session.model(), &ModelState::Preparing);
    assert_eq!(
        session.handle(said(WorkerOutput::Started)),
        vec![load(&bundled_files())]
    );
    assert_eq!(
        session.handle(ready()),
        vec![classify(waiting, "waiting.png")]
    );
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    session.handle(said(WorkerOutput::Classified {
        card: waiting,
        outcome: Ok(verdict(0.7)),
    }));
    assert_eq!(status(&session, waiting), &Status::Done(verdict(0.7)));
    let (fresh, effects) = give_image(&mut session, "fresh.png");
    assert_eq!(effects, vec![classify(fresh, "fresh.png")]);
}

#[test]
fn a_crash_before_any_model_was_loaded_downloads_again_on_retry() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(said(WorkerOutput::Started));
    session.handle(arrived(1, bundled_files()));
    let effects = session.handle(Event::WorkerCrashed("out of memory".into()));
    assert_eq!(effects, vec![Effect::StopWorker]);
    assert_eq!(
        session.handle(Event::Retry),
        vec![
            Effect::SpawnWorker { threads: 1 },
            Effect::Download {
                dir: "model".into(),
                ticket: 2
            }
        ]
    );
    // The first download's late progress is ignored.
    session.handle(Event::DownloadProgress {
        ticket: 1,
        file: "old.onnx".into(),
        progress: Progress::default(),
    });
    assert_eq!(
        session.model(),
        &ModelState::Downloading {
            file: "model.json".into(),
            progress: Progress::default()
        }
    );
}

#[test]
fn a_worker_that_cannot_start_is_spawned_again_on_retry() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(Event::WorkerSpawnFailed("SecurityError".into()));
    assert_eq!(
        session.model(),
        &ModelState::Failed(ModelProblem::WorkerWontStart {
            detail: "SecurityError".into()
        })
    );
    let effects = session.handle(Event::Retry);
    assert_eq!(effects[0], Effect::SpawnWorker { threads: 1 });
    session.handle(said(WorkerOutput::Started));
    assert_eq!(
        session.handle(arrived(2, bundled_files())),
        vec![load(&bundled_files())]
    );
}

#[test]
fn a_failed_download_is_tried_again_on_retry() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(said(WorkerOutput::Started));
    let problem = ModelProblem::Download {
        url: "model/model.json".into(),
        detail: "HTTP 503".into(),
    };
    session.handle(Event::ModelFilesArrived {
        ticket: 1,
        result: Err(problem.clone()),
    });
    assert_eq!(session.model(), &ModelState::Failed(problem));
    assert_eq!(
        session.handle(Event::Retry),
        vec![Effect::Download {
            dir: "model".into(),
            ticket: 2
        }],
        "the worker is fine: it is not restarted"
    );
}

#[test]
fn retry_does_nothing_unless_the_model_failed() {
    let mut session = ready_page();
    assert_eq!(session.handle(Event::Retry), vec![]);
}

#[test]
fn a_garbled_image_request_fails_that_card_only_and_keeps_the_model() {
    let mut session = ready_page();
    let (first, _) = give_image(&mut session, "first.png");
    let (second, _) = give_image(&mut session, "second.png");
    session.handle(said(WorkerOutput::Garbled {
        detail: "unexpected end of input".into(),
    }));
    assert_eq!(
        problem(&session, first),
        &CardProblem::VersionMismatch {
            detail: "unexpected end of input".into()
        }
    );
    assert_eq!(status(&session, second), &Status::Classifying);
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    session.handle(said(WorkerOutput::Classified {
        card: second,
        outcome: Ok(verdict(0.1)),
    }));
    assert_eq!(status(&session, second), &Status::Done(verdict(0.1)));
}

#[test]
fn a_garbled_model_request_keeps_the_loaded_model_in_use() {
    let mut session = ready_page();
    session.handle(own_model_chosen());
    session.handle(arrived(2, own_files()));
    session.handle(said(WorkerOutput::Garbled {
        detail: "bad tag".into(),
    }));
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    assert_eq!(
        session.source(),
        &ModelSource::Served {
            dir: "model".into()
        }
    );
    assert_eq!(
        session.refused(),
        Some(&ModelProblem::VersionMismatch {
            detail: "bad tag".into()
        })
    );
}

#[test]
fn an_answer_the_page_cannot_decode_fails_the_oldest_request() {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "a.png");
    session.handle(Event::WorkerGarbled("invalid value: 9".into()));
    assert_eq!(
        problem(&session, card),
        &CardProblem::VersionMismatch {
            detail: "invalid value: 9".into()
        }
    );
    assert!(matches!(session.model(), ModelState::Ready { .. }));
}

#[test]
fn an_undecodable_greeting_stops_the_worker() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    let effects = session.handle(Event::WorkerGarbled("not bytes".into()));
    assert_eq!(effects, vec![Effect::StopWorker]);
    assert_eq!(
        session.model(),
        &ModelState::Failed(ModelProblem::VersionMismatch {
            detail: "not bytes".into()
        })
    );
}

#[test]
fn an_own_model_replaces_the_bundled_one() {
    let mut session = ready_page();
    let effects = session.handle(Event::OwnModelChosen(vec![
        ("mine.onnx".into(), "onnx"),
        ("model.json".into(), "json"),
    ]));
    assert_eq!(
        effects,
        vec![Effect::ReadModelFiles {
            json: "json",
            onnx: "onnx",
            ticket: 2
        }]
    );
    assert_eq!(session.model(), &ModelState::Preparing);
    let (card, effects) = give_image(&mut session, "a.png");
    assert_eq!(effects, vec![], "images wait while the new model loads");
    assert_eq!(
        session.handle(arrived(2, own_files())),
        vec![load(&own_files())]
    );
    assert_eq!(session.handle(ready()), vec![classify(card, "a.png")]);
    assert_eq!(
        session.source(),
        &ModelSource::Local {
            onnx_name: "mine.onnx".into()
        }
    );
    assert_eq!(session.refused(), None);
    // A crash now re-sends the own model, not the bundled one.
    session.handle(Event::WorkerCrashed("boom".into()));
    session.handle(Event::Retry);
    assert_eq!(
        session.handle(said(WorkerOutput::Started)),
        vec![load(&own_files())]
    );
}

#[test]
fn a_refused_own_model_keeps_the_bundled_one_in_use() {
    let mut session = ready_page();
    session.handle(own_model_chosen());
    let (card, _) = give_image(&mut session, "a.png");
    session.handle(arrived(2, own_files()));
    let failure = ModelFailure::Onnx {
        detail: "bad graph".into(),
    };
    let effects = session.handle(said(WorkerOutput::ModelFailed(failure.clone())));
    assert_eq!(effects, vec![classify(card, "a.png")]);
    assert_eq!(
        session.model(),
        &ModelState::Ready {
            since_page_ms: 1500.0,
            load_ms: 5.0
        }
    );
    assert_eq!(
        session.source(),
        &ModelSource::Served {
            dir: "model".into()
        }
    );
    assert_eq!(session.refused(), Some(&ModelProblem::Refused(failure)));
}

#[test]
fn an_unreadable_own_model_keeps_the_bundled_one_in_use() {
    let mut session = ready_page();
    session.handle(own_model_chosen());
    let problem = ModelProblem::NotText {
        name: "model.json".into(),
    };
    session.handle(Event::ModelFilesArrived {
        ticket: 2,
        result: Err(problem.clone()),
    });
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    assert_eq!(session.refused(), Some(&problem));
}

#[test]
fn a_refused_model_with_nothing_to_fall_back_on_fails() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(said(WorkerOutput::Started));
    session.handle(arrived(1, bundled_files()));
    let failure = ModelFailure::Checksum {
        expected: "aa".into(),
        actual: "bb".into(),
    };
    session.handle(said(WorkerOutput::ModelFailed(failure.clone())));
    assert_eq!(
        session.model(),
        &ModelState::Failed(ModelProblem::Refused(failure))
    );
}

#[test]
fn an_own_model_that_is_not_a_pair_is_explained_and_changes_nothing() {
    let mut session = ready_page();
    let effects = session.handle(Event::OwnModelChosen(vec![("a.onnx".into(), "a")]));
    assert_eq!(effects, vec![]);
    assert!(matches!(session.model(), ModelState::Ready { .. }));
    assert_eq!(
        session.refused(),
        Some(&ModelProblem::NotAPair {
            names: vec!["a.onnx".into()]
        })
    );
}

#[test]
fn an_own_model_chosen_during_the_download_wins_over_it() {
    let (mut session, _): (Page, Effects) = Session::start(None, 2, clock);
    session.handle(said(WorkerOutput::Started));
    session.handle(own_model_chosen());
    assert_eq!(
        session.handle(arrived(1, bundled_files())),
        vec![],
        "the superseded download is dropped"
    );
    assert_eq!(
        session.handle(arrived(2, own_files())),
        vec![load(&own_files())]
    );
}

#[test]
fn a_crash_while_an_own_model_loads_sends_the_previous_model_on_retry() {
    let mut session = ready_page();
    session.handle(own_model_chosen());
    session.handle(arrived(2, own_files()));
    session.handle(Event::WorkerCrashed("RuntimeError: unreachable".into()));
    assert_eq!(
        session.source(),
        &ModelSource::Served {
            dir: "model".into()
        },
        "the model that may have stopped the worker is not sent again"
    );
    session.handle(Event::Retry);
    assert_eq!(
        session.handle(said(WorkerOutput::Started)),
        vec![load(&bundled_files())]
    );
}

#[test]
fn an_own_model_chosen_after_a_crash_restarts_the_worker() {
    let mut session = ready_page();
    session.handle(Event::WorkerCrashed("boom".into()));
    let effects = session.handle(own_model_chosen());
    assert_eq!(effects[0], Effect::SpawnWorker { threads: 1 });
    assert_eq!(session.model(), &ModelState::Preparing);
    session.handle(said(WorkerOutput::Started));
    assert_eq!(
        session.handle(arrived(2, own_files())),
        vec![load(&own_files())]
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_unsent_and_one_at_the_limit_goes_to_the_worker() {
    let mut session = ready_page();
    let file = |name: &'static str, size| Chosen {
        name: name.to_string(),
        size,
        preview: Some(format!("blob:{name}")),
        file: name,
    };
    let effects = session.handle(Event::FilesChosen(vec![
        file("at-limit.bin", MAX_FILE_BYTES),
        file("over-limit.bin", MAX_FILE_BYTES + 1),
    ]));
    assert_eq!(
        effects,
        vec![
            Effect::RevokePreview("blob:over-limit.bin".into()),
            classify(0, "at-limit.bin"),
        ]
    );
    assert_eq!(status(&session, 0), &Status::Classifying);
    assert_eq!(
        problem(&session, 1),
        &CardProblem::FileTooLarge {
            bytes: MAX_FILE_BYTES + 1,
            limit: MAX_FILE_BYTES
        }
    );
}

fn region(x: u32, w: u32) -> worker_protocol::BoxPx {
    worker_protocol::BoxPx {
        x,
        y: 0,
        w,
        h: 40,
        image_width: 80,
        image_height: 40,
    }
}

fn scored(x: u32, w: u32, p: f32) -> worker_protocol::ScoredBox {
    worker_protocol::ScoredBox {
        region: region(x, w),
        p_special_week: p,
    }
}

/// A ready page with one answered card, whose verdict has `crops`.
fn answered(crops: Vec<worker_protocol::ScoredBox>) -> (Page, u64) {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "a.png");
    let verdict = Verdict {
        crops,
        ..verdict(0.9)
    };
    session.handle(said(WorkerOutput::Classified {
        card,
        outcome: Ok(verdict),
    }));
    (session, card)
}

fn evidence(session: &Page, card: u64) -> &Evidence {
    &session
        .cards()
        .iter()
        .find(|c| c.id == card)
        .expect("the card")
        .evidence
}

fn toggle(session: &mut Page, card: u64) -> Effects {
    session.handle(Event::EvidenceToggled { card })
}

fn explain(card: u64) -> Effect<&'static str> {
    Effect::Post(Request::Explain { card })
}

fn occlusion() -> worker_protocol::Occlusion {
    worker_protocol::Occlusion {
        p_whole: 0.9,
        cells: vec![scored(0, 40, 0.3), scored(40, 40, 0.9)],
        ms: 800.0,
    }
}

fn explained(
    card: u64,
    outcome: Result<worker_protocol::Occlusion, Failure>,
) -> Event<&'static str> {
    said(WorkerOutput::Explained { card, outcome })
}

#[test]
fn a_crop_model_shows_its_heat_map_at_once_and_keeps_it_when_hidden() {
    let crops = vec![scored(0, 80, 0.2), scored(0, 40, 0.8)];
    let (mut session, card) = answered(crops.clone());
    assert_eq!(evidence(&session, card), &Evidence::Hidden(None));
    assert_eq!(
        toggle(&mut session, card),
        vec![],
        "nothing to ask the worker"
    );
    let map = HeatMap::from_crops(&crops);
    assert_eq!(evidence(&session, card), &Evidence::Shown(map.clone()));
    toggle(&mut session, card);
    assert_eq!(
        evidence(&session, card),
        &Evidence::Hidden(Some(map.clone()))
    );
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card), &Evidence::Shown(map));
}

#[test]
fn a_model_without_crops_asks_the_worker_once_and_shows_its_answer() {
    let (mut session, card) = answered(vec![scored(0, 80, 0.9)]);
    assert_eq!(toggle(&mut session, card), vec![explain(card)]);
    assert_eq!(evidence(&session, card), &Evidence::Computing);
    // Off and on again while the worker works: no second request.
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card), &Evidence::Hidden(None));
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card), &Evidence::Computing);
    session.handle(explained(card, Ok(occlusion())));
    assert_eq!(
        evidence(&session, card),
        &Evidence::Shown(HeatMap::from_occlusion(&occlusion()))
    );
    // Hidden and shown again without the worker.
    toggle(&mut session, card);
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card).name(), "shown");
}

#[test]
fn a_map_that_arrives_after_the_toggle_went_off_is_kept_hidden() {
    let (mut session, card) = answered(vec![]);
    toggle(&mut session, card);
    toggle(&mut session, card);
    session.handle(explained(card, Ok(occlusion())));
    assert_eq!(
        evidence(&session, card),
        &Evidence::Hidden(Some(HeatMap::from_occlusion(&occlusion())))
    );
}

#[test]
fn a_forgotten_image_says_so_and_the_toggle_can_ask_again() {
    let (mut session, card) = answered(vec![]);
    toggle(&mut session, card);
    session.handle(explained(card, Err(Failure::Forgotten)));
    assert_eq!(
        evidence(&session, card),
        &Evidence::Failed(CardProblem::Worker(Failure::Forgotten))
    );
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(toggle(&mut session, card), vec![explain(card)]);
}

#[test]
fn an_explanation_lost_with_the_worker_or_garbled_says_why() {
    let (mut session, card) = answered(vec![]);
    toggle(&mut session, card);
    session.handle(Event::WorkerCrashed("killed".into()));
    assert_eq!(
        evidence(&session, card),
        &Evidence::Failed(CardProblem::WorkerStopped)
    );
    assert_eq!(status(&session, card).name(), "done", "the answer stays");

    let (mut session, card) = answered(vec![]);
    toggle(&mut session, card);
    session.handle(Event::WorkerGarbled("bad".into()));
    assert_eq!(
        evidence(&session, card),
        &Evidence::Failed(CardProblem::VersionMismatch {
            detail: "bad".into()
        })
    );
    assert_eq!(session.model().name(), "ready", "the model stays");
}

#[test]
fn only_answered_cards_have_a_toggle() {
    let mut session = ready_page();
    let (card, _) = give_image(&mut session, "a.png");
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card), &Evidence::Hidden(None));
    assert_eq!(toggle(&mut session, 99), vec![]);
}

#[test]
fn an_explanation_waits_for_a_model_that_is_loading() {
    let (mut session, card) = answered(vec![]);
    session.handle(own_model_chosen());
    session.handle(arrived(2, own_files()));
    assert_eq!(toggle(&mut session, card), vec![]);
    assert_eq!(evidence(&session, card), &Evidence::Computing);
    assert_eq!(session.handle(ready()), vec![explain(card)]);
}

#[test]
fn the_worker_keeps_its_threads_until_one_fails_and_then_runs_on_one() {
    let (session, effects): (Page, Effects) = Session::start(None, 4, clock);
    assert_eq!(session.threads(), 4);
    assert_eq!(effects[0], Effect::SpawnWorker { threads: 4 });
    let mut session = ready_page();
    give_image(&mut session, "fine.png");
    assert_eq!(session.threads(), 2, "answering keeps the threads");
    session.handle(Event::WorkerGarbled("not a message".into()));
    assert_eq!(
        session.threads(),
        2,
        "a garbled answer does not lose the worker"
    );
    session.handle(Event::WorkerSpawnFailed("no SharedArrayBuffer".into()));
    assert_eq!(session.threads(), 1);
    let (single, _): (Page, Effects) = Session::start(None, 0, clock);
    assert_eq!(single.threads(), 1, "never fewer than one");
}
