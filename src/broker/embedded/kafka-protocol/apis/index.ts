/** Every API the listener answers, by key. ApiVersions advertises exactly these, with their version ranges. */
import type { AnyApi } from './api.ts';
import { apiVersionsApi } from './api-versions.ts';
import { describeConfigsApi } from './describe-configs.ts';
import { describeLogDirsApi } from './describe-log-dirs.ts';
import { fetchApi } from './fetch.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { heartbeatApi, joinGroupApi, leaveGroupApi, syncGroupApi } from './group-membership.ts';
import { describeGroupsApi, listGroupsApi } from './group-listing.ts';
import { initProducerIdApi } from './init-producer-id.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { offsetCommitApi, offsetFetchApi } from './offsets.ts';
import { produceApi } from './produce.ts';
import { saslAuthenticateApi, saslHandshakeApi } from './sasl.ts';
import { createTopicsApi, deleteTopicsApi } from './topic-admin.ts';
import { addOffsetsToTxnApi, addPartitionsToTxnApi, endTxnApi } from './transactions.ts';
import { txnOffsetCommitApi } from './txn-offset-commit.ts';

export type { AnyApi, RequestContext, SessionState } from './api.ts';

const list: AnyApi[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  saslHandshakeApi,
  createTopicsApi,
  deleteTopicsApi,
  initProducerIdApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  describeLogDirsApi,
  saslAuthenticateApi,
];
list.push(apiVersionsApi(() => list));
list.sort((a, b) => a.key - b.key);

/** The APIs by key; a key not here closes the connection that sent it. */
export const API_BY_KEY: ReadonlyMap<number, AnyApi> = new Map(list.map((api) => [api.key, api]));
export const APIS: readonly AnyApi[] = list;

/** API keys a connection may use before it has authenticated. */
export const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([18, 17, 36]);
