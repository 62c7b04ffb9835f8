// SCAFFOLD: replaced by the live work.
import type { Membership } from '../api';

export function LivePage({ project }: { project: Membership }) {
  return <div data-testid="live">{project.name}</div>;
}
