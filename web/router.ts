/**
 * Hash routes (`#/jobs/<id>`): the page is one static file on every host, so no server needs a
 * rewrite rule for deep links, and a reload or a shared link opens the same view.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'jobs'; status?: string; escalationId?: string }
  | { name: 'new' }
  | { name: 'job'; id: string }
  | { name: 'ops' }
  | { name: 'not-found'; path: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'jobs')) {
    const status = params.get('status') ?? undefined;
    const escalationId = params.get('escalation') ?? undefined;
    return { name: 'jobs', ...(status ? { status } : {}), ...(escalationId && UUID.test(escalationId) ? { escalationId } : {}) };
  }
  if (parts.length === 1 && parts[0] === 'new') return { name: 'new' };
  if (parts.length === 1 && parts[0] === 'ops') return { name: 'ops' };
  if (parts.length === 2 && parts[0] === 'jobs' && UUID.test(parts[1]!)) return { name: 'job', id: parts[1]!.toLowerCase() };
  return { name: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'jobs': {
      const params = new URLSearchParams();
      if (route.status) params.set('status', route.status);
      if (route.escalationId) params.set('escalation', route.escalationId);
      const q = params.toString();
      return `#/${q ? `?${q}` : ''}`;
    }
    case 'new':
      return '#/new';
    case 'job':
      return `#/jobs/${route.id}`;
    case 'ops':
      return '#/ops';
    case 'not-found':
      return `#/${route.path}`;
  }
}

export function navigate(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
