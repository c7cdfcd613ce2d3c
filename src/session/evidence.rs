//! The 「根拠を表示」 toggle of answered cards: a crop model's heat map comes from the
//! verdict at once; a model without crops asks the worker for an occlusion map, which
//! waits in the session's one queue like any other request.

use worker_protocol::{Failure, Occlusion};

use super::{Effect, Job, Session};
use crate::heat_map::HeatMap;
use crate::page_state::{Evidence, Status};
use crate::problem::CardProblem;

impl<F> Session<F> {
    /// Turns a card's heat map on or off. On makes it (or shows the one made before);
    /// off keeps what was made, and an occlusion map on its way is kept when it comes.
    pub(super) fn toggle_evidence(&mut self, id: u64, effects: &mut Vec<Effect<F>>) {
        let asked = self.explaining(id);
        let Some(card) = self.cards.iter_mut().find(|c| c.id == id) else {
            return;
        };
        let Status::Done(verdict) = &card.status else {
            return;
        };
        let (evidence, ask) = match std::mem::replace(&mut card.evidence, Evidence::Computing) {
            Evidence::Hidden(Some(map)) => (Evidence::Shown(map), false),
            Evidence::Hidden(None) if verdict.crops.len() > 1 => {
                (Evidence::Shown(HeatMap::from_crops(&verdict.crops)), false)
            }
            Evidence::Hidden(None) => (Evidence::Computing, !asked),
            Evidence::Shown(map) => (Evidence::Hidden(Some(map)), false),
            Evidence::Computing | Evidence::Failed(_) => (Evidence::Hidden(None), false),
        };
        card.evidence = evidence;
        if ask {
            self.queue.push_back(Job::Explain {
                card: id,
                posted: false,
            });
            self.pump(effects);
        }
    }

    /// The worker's occlusion map for a card, or why there is none.
    pub(super) fn explained(&mut self, id: u64, outcome: Result<Occlusion, Failure>) {
        let Some(index) = self
            .queue
            .iter()
            .position(|job| matches!(job, Job::Explain { card, posted: true } if *card == id))
        else {
            return;
        };
        self.queue.remove(index);
        match outcome {
            Ok(map) => self.set_evidence(id, |on| {
                let map = HeatMap::from_occlusion(&map);
                if on {
                    Evidence::Shown(map)
                } else {
                    Evidence::Hidden(Some(map))
                }
            }),
            Err(failure) => self.explanation_lost(id, CardProblem::Worker(failure)),
        }
    }

    /// A card's occlusion map will never come: the card says why if it still asks for it.
    pub(super) fn explanation_lost(&mut self, id: u64, problem: CardProblem) {
        self.set_evidence(id, |on| {
            if on {
                Evidence::Failed(problem)
            } else {
                Evidence::Hidden(None)
            }
        });
    }

    /// Whether an occlusion map of the card is asked for and not yet answered.
    fn explaining(&self, id: u64) -> bool {
        self.queue
            .iter()
            .any(|job| matches!(job, Job::Explain { card, .. } if *card == id))
    }

    /// Sets a card's evidence from whether its toggle is on while it was being made.
    fn set_evidence(&mut self, id: u64, evidence: impl FnOnce(bool) -> Evidence) {
        if let Some(card) = self.cards.iter_mut().find(|c| c.id == id) {
            card.evidence = evidence(card.evidence == Evidence::Computing);
        }
    }
}
