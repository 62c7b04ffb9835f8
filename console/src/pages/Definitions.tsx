// SCAFFOLD: replaced by the definitions work.
import type { Me, Membership } from '../api';

export function DefinitionsPage({ project }: { project: Membership; me: Me }) {
  return <div data-testid="definitions">{project.name}</div>;
}
