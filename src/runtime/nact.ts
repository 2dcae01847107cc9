import nact, { type Ref } from 'nact';

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

/**
 * Spawns an actor that hands every message to `handle`. nact's own fault handling is switched off
 * (`resume`): a handler catches what it throws itself, so nothing is dropped behind our back.
 */
export function spawnHandler<M>(parent: NactParent, name: string, handle: (message: M) => void | Promise<void>): NactRef<M> {
  return nact.spawn(parent as Ref<unknown>, (state: undefined, message: M) => {
    const done = handle(message);
    return done ? done.then(() => state) : state;
  }, name, { onCrash: (_m, _e, ctx) => ctx.resume }) as NactRef<M>;
}

export function send<M>(ref: NactRef<M>, message: M): void {
  nact.dispatch(ref, message);
}

export function stopActor(ref: NactRef<never> | NactRef<unknown> | NactParent): void {
  nact.stop(ref as Ref<unknown>);
}
