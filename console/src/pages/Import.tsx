// SCAFFOLD: replaced by the import work.
import type { Me, Membership } from '../api';

export function ImportPage({ project }: { project: Membership; me: Me }) {
  return <div data-testid="import">{project.name}</div>;
}
