/**
 * Inter-token gaps of one replica, as a streaming client sees them: each decode step is one gap per decoding
 * sequence (with speculative decoding a chunk carries `gain` tokens on average; TPOT spreads the gap over them),
 * and steps that decoded nothing while sequences were decoding (SGLang runs a prefill batch alone) lengthen the
 * next gap of every sequence they paused.
 */
export class GapLog {
  /** Gap lengths (seconds) and how many decode chunks waited that long. */
  readonly seconds: number[] = [];
  readonly weights: number[] = [];
  /** Steps since the last decode step that decoded nothing while sequences were decoding: their time and how many sequences waited. */
  private readonly pauses: { seconds: number; seqs: number }[] = [];

  /** A run of `k` decode steps of `decodes` sequences taking `seconds` in all. */
  decodeRun(seconds: number, k: number, decodes: number): void {
    const per = seconds / k;
    // A sequence decoding since pause j waited through pauses j…last; those that joined since the last pause did not.
    let left = Math.round(decodes * k);
    let waited = this.pauses.reduce((s, p) => s + p.seconds, 0);
    let before = 0;
    for (const p of this.pauses) {
      const n = Math.min(p.seqs, decodes) - before;
      if (n > 0) {
        this.push(per + waited, n);
        left -= n;
        before += n;
      }
      waited -= p.seconds;
    }
    this.pauses.length = 0;
    if (left > 0) this.push(per, left);
  }

  /** A step that decoded nothing while `seqs` sequences were decoding (they wait through it). */
  pause(seconds: number, seqs: number): void {
    this.pauses.push({ seconds, seqs });
  }

  private push(seconds: number, n: number): void {
    this.seconds.push(seconds);
    this.weights.push(n);
  }
}
