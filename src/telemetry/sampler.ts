import type { Context } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';

/**
 * Herald's decision for new traces (the root of its parent-based sampler): a trace is recorded with probability
 * `ratio` (decided from its trace id, as OpenTelemetry's ratio sampler does), and at most `perSecond` new traces a
 * second are (0: no limit) — a token bucket holding a second's worth, refilled continuously, so a burst after a
 * quiet spell is recorded whole and a flood records a steady trickle. Recording every trace of `npm start` under
 * produce load (a request's spans and its two deliveries', kept for the console) cost ~90 µs of CPU a request,
 * half of what the whole process spent. A trace not recorded still carries its W3C context with the sampled flag
 * off, so its downstream parts are not recorded either and traces stay whole.
 */
export class NewTraceSampler implements Sampler {
  readonly ratio: number;
  readonly perSecond: number;
  readonly #now: () => number;
  readonly #byRatio: TraceIdRatioBasedSampler;
  #tokens: number;
  #filledAt: number;

  /** `now` in milliseconds; tests pass their own clock. */
  constructor(ratio: number, perSecond: number, now: () => number = Date.now) {
    this.ratio = ratio;
    this.perSecond = perSecond;
    this.#now = now;
    this.#byRatio = new TraceIdRatioBasedSampler(ratio);
    this.#tokens = perSecond;
    this.#filledAt = now();
  }

  /** Decides for one new trace; a recorded one takes its place in the second's allowance. */
  shouldSample(context: Context, traceId: string): SamplingResult {
    const byRatio = this.#byRatio.shouldSample(context, traceId);
    if (byRatio.decision !== SamplingDecision.RECORD_AND_SAMPLED || this.perSecond === 0) return byRatio;
    this.#refill();
    if (this.#tokens < 1) return { decision: SamplingDecision.NOT_RECORD };
    this.#tokens -= 1;
    return byRatio;
  }

  /** Whether no new trace could be recorded now (the second's allowance is used up, or `ratio` is 0). */
  refusing(): boolean {
    if (this.ratio <= 0) return true;
    if (this.perSecond === 0) return false;
    this.#refill();
    return this.#tokens < 1;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#filledAt;
    if (elapsed <= 0) return;
    this.#filledAt = now;
    this.#tokens = Math.min(this.perSecond, this.#tokens + (elapsed * this.perSecond) / 1000);
  }

  toString(): string {
    return `NewTraceSampler{ratio=${this.ratio}, perSecond=${this.perSecond}}`;
  }
}
