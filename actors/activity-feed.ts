import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import type { RecentEvents } from '../src/api/recent-events.ts';
import type { Behaviour } from '../src/runtime/actor-ref.ts';

/** Keeps the dashboard's recent events current from the namespaces' topics (read, never answered). */
export function activityFeed(recent: RecentEvents): Behaviour<null, AnyEnvelope> {
  return {
    init: () => null,
    receive(state, message) {
      recent.add(message);
      return state;
    },
  };
}
