//! The booth's side of a room: the box's own pipeline seated as the patient's side (linked
//! when the call starts, sampled for the quality record), and the cabin leaving its seat when
//! its session ends.

use super::*;

impl Room {
    /// Connects a started booth pipeline: practitioner frames go to it in order, its frames go
    /// to the practitioner, and it is sampled for the quality record while it runs.
    pub(super) fn link_booth(
        self: &Arc<Self>,
        app: &AppState,
        state: &mut RoomState,
        peer: Arc<dyn MediaPeer>,
        mut outgoing: mpsc::UnboundedReceiver<SignalMessage>,
    ) {
        let (frames, mut to_peer) = mpsc::unbounded_channel::<SignalMessage>();
        let handler = Arc::clone(&peer);
        tokio::spawn(async move {
            while let Some(frame) = to_peer.recv().await {
                if let Err(e) = handler.handle(frame).await {
                    tracing::warn!(error = %e, "the booth pipeline refused a frame");
                }
            }
        });
        let room = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(frame) = outgoing.recv().await {
                let state = room.state.lock().await;
                if let Some(p) = state.seat(false) {
                    p.send(frame);
                }
            }
        });
        let room = Arc::clone(self);
        let app = app.clone();
        let sampled = Arc::downgrade(&peer);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(BOOTH_SAMPLE_EVERY);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let Some(peer) = sampled.upgrade() else {
                    return;
                };
                let Some(quality) = peer.quality().await else {
                    continue;
                };
                let quality = quality.sanitized();
                app.metrics.calls.observe(&quality);
                let mut state = room.state.lock().await;
                if state.booth.is_none() {
                    return;
                }
                state.pending_quality.push(QualitySample {
                    at: app.clock.now(),
                    role: Role::Booth,
                    quality,
                });
                if state
                    .last_flush
                    .is_none_or(|t| t.elapsed() >= QUALITY_FLUSH_EVERY)
                {
                    room.flush_quality(&app, &mut state, Actor::System("booth".into()))
                        .await;
                }
            }
        });
        state.booth = Some(BoothLink { frames, peer });
    }

    /// The cabin leaves its seat (its session ended): the booth pipeline stops at once, even
    /// if the practitioner is still connected (the practitioner hears `hangup`), and the room
    /// is forgotten when empty.
    pub(crate) async fn cabin_leave(self: &Arc<Self>, app: &AppState, conn: &Connection) {
        let mut state = self.state.lock().await;
        if state
            .patient_side
            .as_ref()
            .is_none_or(|s| s.connection != conn.id)
        {
            // Not seated (refused, or left already): the pipeline, if any, is someone else's.
            if state.is_empty() {
                app.calls.forget_if_empty(self, &state);
            }
            return;
        }
        state.patient_side = None;
        if let Some(link) = state.booth.take() {
            link.peer.hangup().await;
            if let Some(p) = state.seat(false) {
                p.send(SignalMessage::Hangup);
            }
        }
        state.in_call = false;
        state.announce();
        self.flush_quality(app, &mut state, conn.actor()).await;
        if state.is_empty() {
            app.calls.forget_if_empty(self, &state);
        }
    }

    /// Whether the booth pipeline of this room runs.
    pub(crate) async fn has_booth_pipeline(&self) -> bool {
        self.state.lock().await.booth.is_some()
    }
}
