// Event and property definitions: the names discovered from the project's data (GET
// …/definitions/events and …/definitions/properties) merged with the tracking plan people
// write (display names and descriptions, PATCH …/definitions/{events|properties}/NAME).
// Lists are cached per project for the pickers and dropped when the plan changes. While a
// list loads, or when it cannot be read, the pickers offer the demo shop's event names.
import { createContext, useContext, useEffect, useState } from 'react';
import { api, demoEvents } from './api';

export interface EventDefinition {
  name: string;
  count: number; // -1: a demo name shown while loading; 0: known only to the tracking plan
  last_seen: number;
  last_seen_at: string;
  display_name?: string;
  description?: string;
}

export interface PropertyDefinition {
  name: string; // the path as analysis specs name it: price, products.price, context.scene
  type: string;
  count: number;
  example: unknown;
  source?: 'properties' | 'context';
  depth?: number; // keys below the source: 1 for a top-level key
  queryable?: boolean; // analyses can filter and break down by it
  events?: string[]; // project-wide list only
  display_name?: string;
  description?: string;
}

// DefinitionUpdate changes an entry of the tracking plan: a field left out is kept, '' clears it.
export interface DefinitionUpdate {
  display_name?: string;
  description?: string;
}

// Limits of the tracking plan's fields, in characters (as the server checks them).
export const maxDisplayName = 100;
export const maxDescription = 2000;

// ProjectContext carries the current project's id to the pickers.
export const ProjectContext = createContext<number | undefined>(undefined);

const eventCache = new Map<number, Promise<EventDefinition[]>>();
const propCache = new Map<string, Promise<PropertyDefinition[]>>();
const allPropCache = new Map<number, Promise<{ properties: PropertyDefinition[]; sampled: number }>>();

function base(project: number) {
  return `/api/v1/projects/${project}/definitions`;
}

// encodeName makes a name one path segment: slashes, spaces and dots included.
export function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E');
}

export function eventDefinitions(project: number): Promise<EventDefinition[]> {
  let p = eventCache.get(project);
  if (!p) {
    p = api<{ events: EventDefinition[] }>('GET', `${base(project)}/events`).then((r) => r.events ?? []);
    p.catch(() => eventCache.delete(project)); // try again next time
    eventCache.set(project, p);
  }
  return p;
}

export function propertyDefinitions(project: number, event: string): Promise<PropertyDefinition[]> {
  const key = project + '\u0000' + event;
  let p = propCache.get(key);
  if (!p) {
    p = api<{ properties: PropertyDefinition[] }>('GET', `${base(project)}/properties?event=${encodeURIComponent(event)}`).then((r) => r.properties ?? []);
    p.catch(() => propCache.delete(key));
    propCache.set(key, p);
  }
  return p;
}

// projectProperties lists the property paths of the whole project, each with the events it
// was seen on.
export function projectProperties(project: number): Promise<{ properties: PropertyDefinition[]; sampled: number }> {
  let p = allPropCache.get(project);
  if (!p) {
    p = api<{ properties: PropertyDefinition[]; sampled: number }>('GET', `${base(project)}/properties`).then((r) => ({
      properties: r.properties ?? [],
      sampled: r.sampled ?? 0,
    }));
    p.catch(() => allPropCache.delete(project));
    allPropCache.set(project, p);
  }
  return p;
}

// forget drops the project's cached lists, so the next read sees the data and plan as they are.
export function forget(project: number) {
  eventCache.delete(project);
  allPropCache.delete(project);
  for (const k of Array.from(propCache.keys())) if (k.startsWith(project + '\u0000')) propCache.delete(k);
}

// saveDefinition sets the display name and description of an event name or property path.
export async function saveDefinition(project: number, kind: 'event' | 'property', name: string, u: DefinitionUpdate) {
  const path = `${base(project)}/${kind === 'event' ? 'events' : 'properties'}/${encodeName(name)}`;
  const r = await api<Record<string, { display_name: string; description: string }>>('PATCH', path, u);
  forget(project);
  return r[kind];
}

// matches reports whether what was typed finds the definition by name or display name.
export function matches(d: { name: string; display_name?: string }, typed: string): boolean {
  const q = typed.trim().toLowerCase();
  return !q || d.name.toLowerCase().includes(q) || !!d.display_name?.toLowerCase().includes(q);
}

const fallback: EventDefinition[] = demoEvents.map((name) => ({ name, count: -1, last_seen: 0, last_seen_at: '' }));

// useEventDefinitions gives the project's event names with their display names, highest
// volume first; the demo names (count -1) while loading, on error or when the project has
// no events yet.
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

// usePropertyDefinitions gives the property paths the analyses can filter and break down by
// (the queryable ones: scalars at paths through objects, such as price, context.scene and
// context.page.path) seen on any of the events, merged, the events' own properties first,
// most frequent first; empty while loading or on error. Paths inside arrays
// (products.price) are listed on the definitions page but not offered here: the query
// compiler cannot pick an array element.
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
          if (p.queryable === false) continue;
          const m = merged.get(p.name);
          if (m) m.count += p.count;
          else merged.set(p.name, { ...p });
        }
      const ctx = (p: PropertyDefinition) => (p.source === 'context' ? 1 : 0);
      setList(Array.from(merged.values()).sort((a, b) => ctx(a) - ctx(b) || b.count - a.count || a.name.localeCompare(b.name)));
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project, key]);
  return list;
}
