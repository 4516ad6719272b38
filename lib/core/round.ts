/**
 * A length rounded to 1/256 of an octave (exact up to 64): at most a 0.14% change, far below the
 * kernel tables' interpolation error. Memo keys of repeated steps use it so lookups are reused.
 */
export function roundLength(x: number): number {
  if (x <= 64) return Math.round(x);
  return Math.round(Math.pow(2, Math.round(Math.log2(x) * 256) / 256));
}
