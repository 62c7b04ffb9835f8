// A tiny history router: the console has a handful of flat pages, so a path → page map
// is all it needs. The server answers index.html for every non-API path (SPA fallback).
import { useEffect, useState } from 'react';

export type Page = 'overview' | 'trends' | 'funnel' | 'retention' | 'integration' | 'settings';

export const pages: Page[] = ['overview', 'trends', 'funnel', 'retention', 'integration', 'settings'];

export function pageOf(path: string): Page {
  const p = path.replace(/^\/+|\/+$/g, '') as Page;
  return pages.includes(p) ? p : 'overview';
}

export function navigate(path: string) {
  if (location.pathname !== path) history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}
