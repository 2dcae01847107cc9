import nact, { type ActorProps, type Ref } from 'nact';

/**
 * The one typed wrapper around nact: every other module spawns, sends and stops through these four
 * functions. nact gives an actor its own mailbox and runs one message at a time (awaiting a returned
 * promise before the next); supervision, backpressure and dead letters are the cells' (see cell.ts).
 */
export type NactRef<M> = Ref<M>;
export type NactParent = Ref<never> | Ref<unknown>;

export function startNact(name: string): NactParent {
  // nact reads the system name from a plain `{ name }` first argument; its typings only know plugins.
  return nact.start({ name } as unknown as string);
}

/** Whatever takes an actor's messages: a cell or a supervisor. */
export interface Receiver<M> {
  onMessage(message: M): void | Promise<void>;
}

/**
 * nact's own fault handling is switched off (`resume`): a receiver catches what it throws itself, so
 * nothing is dropped behind our back. One properties object for every actor: thousands of idle
 * strategy actors should not each carry their own.
 */
const PROPERTIES: ActorProps<undefined, unknown, Ref<unknown>> = { onCrash: (_m, _e, ctx) => ctx.resume };

/** Spawns an actor that hands every message to `receiver` (one closure per actor, no more). */
export function spawnReceiver<M>(parent: NactParent, name: string, receiver: Receiver<M>): NactRef<M> {
  const f = (state: undefined, message: M) => {
    const done = receiver.onMessage(message);
    return done ? done.then(() => state) : state;
  };
  return nact.spawn(parent as Ref<unknown>, f, name, PROPERTIES as ActorProps<undefined, M, Ref<unknown>>) as NactRef<M>;
}

export function send<M>(ref: NactRef<M>, message: M): void {
  nact.dispatch(ref, message);
}

export function stopActor(ref: NactRef<never> | NactRef<unknown> | NactParent): void {
  nact.stop(ref as Ref<unknown>);
}
