/** Kite speaks IST wall-clock text ("YYYY-MM-DD HH:mm:ss") whatever the server's own time zone. */
const IST_OFFSET_MS = 5.5 * 3600_000;

/** `2021-05-31 09:18:57`: the IST date and time of an instant. */
export function istDateTime(ms: number): string {
  return new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `09:18:57`: the IST time of an instant. */
export function istTime(ms: number): string {
  return istDateTime(ms).slice(11);
}

/** `250811`: the IST date as Kite's order ids begin with it. */
export function istYymmdd(ms: number): string {
  return istDateTime(ms).slice(2, 10).replaceAll('-', '');
}
