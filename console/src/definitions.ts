// Event and property names discovered from the project's data (GET …/definitions/events and
// …/definitions/properties), cached per project for the pickers. While a list loads, or when
// it cannot be read, the pickers offer the demo shop's event names.
import { createContext, useContext, useEffect, useState } from 'react';
import { api, demoEvents } from './api';

export interface EventDefinition {
  name: string;
  count: number;
  last_seen: number;
  last_seen_at: string;
}

export interface PropertyDefinition {
  name: string;
  type: string;
  count: number;
  example: unknown;
}

// ProjectContext carries the current project's id to the pickers.
export const ProjectContext = createContext<number | undefined>(undefined);

const eventCache = new Map<number, Promise<EventDefinition[]>>();
const propCache = new Map<string, Promise<PropertyDefinition[]>>();

export function eventDefinitions(project: number): Promise<EventDefinition[]> {
  let p = eventCache.get(project);
  if (!p) {
    p = api<{ events: EventDefinition[] }>('GET', `/api/v1/projects/${project}/definitions/events`).then((r) => r.events ?? []);
    p.catch(() => eventCache.delete(project)); // try again next time
    eventCache.set(project, p);
  }
  return p;
}

export function propertyDefinitions(project: number, event: string): Promise<PropertyDefinition[]> {
  const key = project + '\u0000' + event;
  let p = propCache.get(key);
  if (!p) {
    p = api<{ properties: PropertyDefinition[] }>('GET', `/api/v1/projects/${project}/definitions/properties?event=${encodeURIComponent(event)}`).then(
      (r) => r.properties ?? [],
    );
    p.catch(() => propCache.delete(key));
    propCache.set(key, p);
  }
  return p;
}

const fallback: EventDefinition[] = demoEvents.map((name) => ({ name, count: -1, last_seen: 0, last_seen_at: '' }));

// useEventDefinitions gives the project's event names, highest volume first; the demo names
// (count -1) while loading, on error or when the project has no events yet.
export function useEventDefinitions(): EventDefinition[] {
  const project = useContext(ProjectContext);
  const [list, setList] = useState<EventDefinition[]>(fallback);
  useEffect(() => {
    if (project === undefined) return;
    let live = true;
    eventDefinitions(project)
      .then((l) => live && setList(l.length ? l : fallback))
      .catch(() => live && setList(fallback));
    return () => {
      live = false;
    };
  }, [project]);
  return list;
}

// usePropertyDefinitions gives the top-level property keys seen on any of the events (merged,
// most frequent first); empty while loading or on error.
export function usePropertyDefinitions(events: string[]): PropertyDefinition[] {
  const project = useContext(ProjectContext);
  const [list, setList] = useState<PropertyDefinition[]>([]);
  const names = Array.from(new Set(events.map((e) => e.trim()).filter(Boolean))).sort();
  const key = names.join('\u0000');
  useEffect(() => {
    if (project === undefined || !names.length) {
      setList([]);
      return;
    }
    let live = true;
    Promise.all(names.map((e) => propertyDefinitions(project, e).catch(() => [] as PropertyDefinition[]))).then((all) => {
      if (!live) return;
      const merged = new Map<string, PropertyDefinition>();
      for (const l of all)
        for (const p of l) {
          const m = merged.get(p.name);
          if (m) m.count += p.count;
          else merged.set(p.name, { ...p });
        }
      setList(Array.from(merged.values()).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)));
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project, key]);
  return list;
}
