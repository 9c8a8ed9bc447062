//! The event log: everything the lab does to pods and sees them do, with millisecond
//! timestamps on the scenario's time axis (the same zero as the load timeline).
use std::sync::Mutex;
use std::time::Instant;

pub use lameduck_core::schema::{EventKind, PodEvent as Event};

/// A shared, append-only log for one scenario.
#[derive(Debug)]
pub struct EventLog {
    pub epoch: Instant,
    events: Mutex<Vec<Event>>,
}

impl EventLog {
    pub fn new(epoch: Instant) -> Self {
        Self { epoch, events: Mutex::new(Vec::new()) }
    }

    pub fn ms(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Records an event that happened `at`.
    pub fn record_at(
        &self,
        at: Instant,
        pod: &str,
        container: &str,
        kind: EventKind,
        detail: impl Into<String>,
    ) {
        let event = Event {
            ms: self.ms(at),
            pod: pod.into(),
            container: container.into(),
            kind,
            detail: detail.into(),
        };
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    /// Records an event that happens now.
    pub fn record(&self, pod: &str, container: &str, kind: EventKind, detail: impl Into<String>) {
        self.record_at(Instant::now(), pod, container, kind, detail);
    }

    /// All events in time order.
    pub fn snapshot(&self) -> Vec<Event> {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner()).clone();
        events.sort_by_key(|e| e.ms);
        events
    }
}

/// One line per event, as written to `events.log`.
pub fn format_line(e: &Event) -> String {
    let who = match (e.pod.is_empty(), e.container.is_empty()) {
        (true, _) => "lab".to_string(),
        (false, true) => e.pod.clone(),
        (false, false) => format!("{}/{}", e.pod, e.container),
    };
    format!("{:>6}.{:03}s  {:<22} {:<17} {}", e.ms / 1000, e.ms % 1000, who, e.kind, e.detail)
}
