/**
 * One consumer group of Kafka clients, on Kafka's classic group protocol: members join (JoinGroup), the group
 * waits until every known member has rejoined or the rebalance timeout passes, picks a protocol all members
 * support, names a leader and hands it everyone's metadata; the leader computes the assignment on the client side
 * and sends it with SyncGroup, which gives each member its part. Heartbeats keep members alive and tell them when
 * to rejoin; a member silent for its session timeout is removed and the others rebalance.
 *
 * States as Kafka names them: Empty → PreparingRebalance → CompletingRebalance → Stable (→ PreparingRebalance on
 * any change). Everything runs on the event loop; waiters are promises resolved by state changes and timers.
 */
import { randomUUID } from 'node:crypto';
import { KafkaError } from '../wire/errors.ts';
import {
  EMPTY,
  type GroupOptions,
  joinError,
  type JoinRequest,
  type JoinResult,
  type Member,
  sameProtocols,
  syncError,
  type SyncResult,
} from './members.ts';

export type { JoinRequest, JoinResult, Member, Protocol, SyncResult } from './members.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export class ClassicGroup {
  readonly id: string;
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, each expiring after the session timeout if the member never joins. */
  readonly #pending = new Map<string, NodeJS.Timeout>();
  readonly #options: GroupOptions;
  #joinTimer: NodeJS.Timeout | null = null;
  /** The delay of a group's first rebalance is waited out in full, to gather members starting together. */
  #initialDelay = false;

  constructor(id: string, options: GroupOptions) {
    this.id = id;
    this.#options = options;
  }

  /** Whether the group has members or members-to-be. */
  get active(): boolean {
    return this.members.size > 0 || this.#pending.size > 0;
  }

  /** Protocol names every member supports. */
  #commonProtocols(): Set<string> {
    let common: Set<string> | undefined;
    for (const member of this.members.values()) {
      const names = member.protocols.map((p) => p.name);
      common = common === undefined ? new Set(names) : new Set(names.filter((n) => common!.has(n)));
    }
    return common ?? new Set();
  }

  join(request: JoinRequest): Promise<JoinResult> {
    if (request.protocolType === '' || request.protocols.length === 0) {
      return Promise.resolve(joinError(KafkaError.INCONSISTENT_GROUP_PROTOCOL, request.memberId));
    }
    if (this.active && this.protocolType !== null && request.protocolType !== this.protocolType) {
      return Promise.resolve(joinError(KafkaError.INCONSISTENT_GROUP_PROTOCOL, request.memberId));
    }
    const existing = this.members.get(request.memberId);
    const others = [...this.members.values()].filter((m) => m !== existing);
    if (others.length > 0) {
      const common = new Set(others[0].protocols.map((p) => p.name));
      for (const m of others) for (const name of [...common]) if (!m.protocols.some((p) => p.name === name)) common.delete(name);
      if (!request.protocols.some((p) => common.has(p.name))) {
        return Promise.resolve(joinError(KafkaError.INCONSISTENT_GROUP_PROTOCOL, request.memberId));
      }
    }
    if (request.memberId === '') return this.#joinUnknown(request);
    let member = existing;
    if (member === undefined) {
      const timer = this.#pending.get(request.memberId);
      if (timer === undefined) return Promise.resolve(joinError(KafkaError.UNKNOWN_MEMBER_ID, request.memberId));
      clearTimeout(timer);
      this.#pending.delete(request.memberId);
      member = this.#add(request.memberId, request);
      return this.#awaitJoin(member);
    }
    if (member.groupInstanceId !== request.groupInstanceId) {
      return Promise.resolve(joinError(KafkaError.FENCED_INSTANCE_ID, request.memberId));
    }
    const changed = !sameProtocols(member.protocols, request.protocols);
    this.#update(member, request);
    if (
      !changed &&
      ((this.state === 'Stable' && member.memberId !== this.leaderId) || this.state === 'CompletingRebalance')
    ) {
      // Nothing changed: answer with the current generation (the member goes on to SyncGroup).
      this.#touch(member);
      return Promise.resolve(this.#joinResult(member));
    }
    return this.#awaitJoin(member);
  }

  #joinUnknown(request: JoinRequest): Promise<JoinResult> {
    const memberId = `${request.clientId || 'member'}-${randomUUID()}`;
    if (request.groupInstanceId !== null) {
      const previous = [...this.members.values()].find((m) => m.groupInstanceId === request.groupInstanceId);
      if (previous !== undefined) this.#remove(previous, KafkaError.FENCED_INSTANCE_ID, 'replaced by a new instance');
    } else if (request.requireKnownMemberId) {
      const timer = setTimeout(() => {
        this.#pending.delete(memberId);
        this.#tryCompleteJoin();
        this.#maybeEmpty();
      }, request.sessionTimeoutMs);
      timer.unref();
      this.#pending.set(memberId, timer);
      return Promise.resolve(joinError(KafkaError.MEMBER_ID_REQUIRED, memberId));
    }
    return this.#awaitJoin(this.#add(memberId, request));
  }

  #add(memberId: string, request: JoinRequest): Member {
    const member: Member = {
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: [],
      assignment: EMPTY,
      awaitingJoin: null,
      awaitingSync: null,
      sessionTimer: null,
    };
    this.#update(member, request);
    this.members.set(memberId, member);
    if (this.protocolType === null) this.protocolType = request.protocolType;
    return member;
  }

  #update(member: Member, request: JoinRequest): void {
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    // Copies: the request's bytes are views into a frame that should not stay alive for them.
    member.protocols = request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
  }

  #awaitJoin(member: Member): Promise<JoinResult> {
    member.awaitingJoin?.(joinError(KafkaError.REBALANCE_IN_PROGRESS, member.memberId));
    this.#stopSession(member);
    const result = new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    if (this.state !== 'PreparingRebalance') this.#prepareRebalance();
    this.#tryCompleteJoin();
    return result;
  }

  #prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') {
      for (const member of this.members.values()) this.#answerSync(member, syncError(KafkaError.REBALANCE_IN_PROGRESS));
    }
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    if (this.#joinTimer !== null) clearTimeout(this.#joinTimer);
    let delay = 0;
    for (const member of this.members.values()) delay = Math.max(delay, member.rebalanceTimeoutMs);
    this.#initialDelay = wasEmpty && this.#options.initialRebalanceDelayMs > 0;
    if (this.#initialDelay) delay = Math.min(delay, this.#options.initialRebalanceDelayMs);
    this.#joinTimer = setTimeout(() => this.#completeJoin(), delay);
    this.#joinTimer.unref();
  }

  #tryCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.#initialDelay || this.#pending.size > 0) return;
    for (const member of this.members.values()) if (member.awaitingJoin === null) return;
    this.#completeJoin();
  }

  #completeJoin(): void {
    if (this.state !== 'PreparingRebalance') return;
    if (this.#joinTimer !== null) clearTimeout(this.#joinTimer);
    this.#joinTimer = null;
    this.#initialDelay = false;
    for (const member of [...this.members.values()]) {
      if (member.awaitingJoin === null) this.#remove(member, null, 'did not rejoin within the rebalance timeout');
    }
    this.generationId += 1;
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.protocolName = null;
      this.leaderId = null;
      if (this.#pending.size === 0) this.protocolType = null;
      this.#maybeEmpty();
      return;
    }
    this.protocolName = this.#selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = this.members.keys().next().value!;
    this.state = 'CompletingRebalance';
    for (const member of this.members.values()) {
      const answer = member.awaitingJoin!;
      member.awaitingJoin = null;
      member.assignment = EMPTY;
      this.#touch(member);
      answer(this.#joinResult(member));
    }
    this.#options.logger?.debug(
      { group: this.id, generation: this.generationId, members: this.members.size, protocol: this.protocolName },
      'kafka listener: group rebalanced',
    );
  }

  /** The protocol most members prefer among those all of them support. */
  #selectProtocol(): string {
    const common = this.#commonProtocols();
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => common.has(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let most = -1;
    for (const [name, count] of votes) {
      if (count > most) [best, most] = [name, count];
    }
    return best;
  }

  #joinResult(member: Member): JoinResult {
    const leader = member.memberId === this.leaderId;
    return {
      errorCode: KafkaError.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      members: leader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  sync(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    protocolType: string | null,
    protocolName: string | null,
    assignments: { memberId: string; assignment: Buffer }[],
  ): Promise<SyncResult> {
    const member = this.members.get(memberId);
    if (member === undefined || this.state === 'Empty' || this.state === 'Dead') {
      return Promise.resolve(syncError(KafkaError.UNKNOWN_MEMBER_ID));
    }
    if (member.groupInstanceId !== groupInstanceId) return Promise.resolve(syncError(KafkaError.FENCED_INSTANCE_ID));
    if (generationId !== this.generationId) return Promise.resolve(syncError(KafkaError.ILLEGAL_GENERATION));
    if ((protocolType !== null && protocolType !== this.protocolType) || (protocolName !== null && protocolName !== this.protocolName)) {
      return Promise.resolve(syncError(KafkaError.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (this.state === 'PreparingRebalance') return Promise.resolve(syncError(KafkaError.REBALANCE_IN_PROGRESS));
    this.#touch(member);
    if (this.state === 'Stable') return Promise.resolve(this.#syncResult(member));
    const result = new Promise<SyncResult>((resolve) => {
      member.awaitingSync?.(syncError(KafkaError.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
    });
    if (memberId === this.leaderId) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of this.members.values()) m.assignment = Buffer.from(given.get(m.memberId) ?? EMPTY);
      this.state = 'Stable';
      for (const m of this.members.values()) this.#answerSync(m, this.#syncResult(m));
    }
    return result;
  }

  #syncResult(member: Member): SyncResult {
    return {
      errorCode: KafkaError.NONE,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  #answerSync(member: Member, result: SyncResult): void {
    const answer = member.awaitingSync;
    member.awaitingSync = null;
    answer?.(result);
  }

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): number {
    const member = this.members.get(memberId);
    if (member === undefined || this.state === 'Empty' || this.state === 'Dead') return KafkaError.UNKNOWN_MEMBER_ID;
    if (member.groupInstanceId !== groupInstanceId) return KafkaError.FENCED_INSTANCE_ID;
    if (generationId !== this.generationId) return KafkaError.ILLEGAL_GENERATION;
    if (member.awaitingJoin === null) this.#touch(member);
    return this.state === 'PreparingRebalance' ? KafkaError.REBALANCE_IN_PROGRESS : KafkaError.NONE;
  }

  /** Removes members leaving on their own (LeaveGroup); returns an error code per identity. */
  leave(identities: { memberId: string; groupInstanceId: string | null }[]): number[] {
    return identities.map(({ memberId, groupInstanceId }) => {
      const member =
        memberId !== ''
          ? this.members.get(memberId)
          : [...this.members.values()].find((m) => groupInstanceId !== null && m.groupInstanceId === groupInstanceId);
      if (member === undefined) {
        const timer = this.#pending.get(memberId);
        if (timer === undefined) return KafkaError.UNKNOWN_MEMBER_ID;
        clearTimeout(timer);
        this.#pending.delete(memberId);
        this.#tryCompleteJoin();
        this.#maybeEmpty();
        return KafkaError.NONE;
      }
      if (groupInstanceId !== null && member.groupInstanceId !== groupInstanceId) return KafkaError.FENCED_INSTANCE_ID;
      this.#remove(member, KafkaError.UNKNOWN_MEMBER_ID, 'left the group');
      this.#afterRemoval();
      return KafkaError.NONE;
    });
  }

  /**
   * Whether a member may commit offsets now, by Kafka's rules: without a generation only while the group has no
   * members (it only stores offsets); otherwise a known member of the current generation, outside the assignment
   * phase.
   */
  commitError(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (generationId < 0 && this.members.size === 0) return KafkaError.NONE;
    if (this.state === 'CompletingRebalance') return KafkaError.REBALANCE_IN_PROGRESS;
    const member = this.members.get(memberId);
    if (member === undefined) return KafkaError.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && member.groupInstanceId !== groupInstanceId) return KafkaError.FENCED_INSTANCE_ID;
    if (generationId !== this.generationId) return KafkaError.ILLEGAL_GENERATION;
    return KafkaError.NONE;
  }

  /** Restarts the member's session clock; it is removed if the clock runs out. */
  #touch(member: Member): void {
    this.#stopSession(member);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (this.members.get(member.memberId) !== member) return;
      this.#options.logger?.info(
        { group: this.id, memberId: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs },
        'kafka listener: group member session expired',
      );
      this.#remove(member, KafkaError.UNKNOWN_MEMBER_ID, 'session expired');
      this.#afterRemoval();
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  #stopSession(member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }

  /** Drops a member; its waiting requests (if any) are answered with `errorCode`. */
  #remove(member: Member, errorCode: number | null, why: string): void {
    this.#stopSession(member);
    this.members.delete(member.memberId);
    const code = errorCode ?? KafkaError.UNKNOWN_MEMBER_ID;
    const join = member.awaitingJoin;
    member.awaitingJoin = null;
    join?.(joinError(code, member.memberId));
    this.#answerSync(member, syncError(code));
    this.#options.logger?.debug({ group: this.id, memberId: member.memberId, why }, 'kafka listener: member removed');
  }

  #afterRemoval(): void {
    if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.#prepareRebalance();
    this.#tryCompleteJoin();
    this.#maybeEmpty();
  }

  #maybeEmpty(): void {
    if (this.state === 'Empty' && !this.active) this.#options.onEmpty(this);
  }

  /** The listener stops: every waiting request is answered (NOT_COORDINATOR sends clients elsewhere), timers end. */
  shutdown(): void {
    if (this.#joinTimer !== null) clearTimeout(this.#joinTimer);
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
    for (const member of [...this.members.values()]) this.#remove(member, KafkaError.NOT_COORDINATOR, 'listener stopped');
    this.state = 'Dead';
  }
}
