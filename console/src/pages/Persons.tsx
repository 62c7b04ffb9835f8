// SCAFFOLD: replaced by the persons work.
import type { Me, Membership } from '../api';

export function PersonsPage({ project }: { project: Membership; me: Me }) {
  return <div data-testid="persons">{project.name}</div>;
}
