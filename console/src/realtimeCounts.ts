// realtimeCounts merges the real-time summary (GET …/live/summary) with events streamed
// since (GET …/live/events) so that each event is counted once. Pure functions, tested by
// tests/unit.mjs.

export interface Point {
  start: number;
  at: string;
  events: number;
  persons: number;
}

export interface Count {
  name: string;
  count: number;
}

// Summary is the summary of GET …/live/summary (api/openapi.yaml).
export interface Summary {
  from: number;
  to: number;
  minutes: Point[];
  events: number;
  persons: number;
  top_events: Count[];
  top_pages: Count[];
  top_scenes: Count[];
  page_views_sampled: number;
}

// SummaryAnswer is the whole answer of GET …/live/summary: live says up to which event of
// the stream (epoch, seq) the summary counts.
export interface SummaryAnswer {
  summary: Summary;
  computed_at: string;
  live: { epoch: number; seq: number };
}

// Arrival is an event of the live stream, as far as the panel needs it.
export interface Arrival {
  epoch: number;
  seq: number;
  timestamp: number;
  event: string;
}

const minuteMs = 60_000;

// notCounted tells whether a streamed event came after the summary was read. Epochs are the
// server's start times: an event of an earlier process is in the store, hence counted.
export function notCounted(a: Arrival, r: SummaryAnswer): boolean {
  if (a.epoch !== r.live.epoch) return a.epoch > r.live.epoch;
  return a.seq > r.live.seq;
}

// addArrivals adds streamed events inside the summary's window to its event counts.
export function addArrivals(base: Summary, arrivals: Arrival[]): Summary {
  if (!arrivals.length) return base;
  const minutes = base.minutes.map((m) => ({ ...m }));
  const top = new Map(base.top_events.map((c) => [c.name, c.count]));
  let added = 0;
  for (const e of arrivals) {
    const i = Math.floor((e.timestamp - base.from) / minuteMs);
    if (i < 0 || i >= minutes.length) continue;
    minutes[i].events++;
    added++;
    if (top.has(e.event)) top.set(e.event, top.get(e.event)! + 1);
  }
  if (!added) return base;
  const top_events = Array.from(top, ([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { ...base, minutes, events: base.events + added, top_events };
}

