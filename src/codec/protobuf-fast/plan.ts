/** The plan of a message type for the fast path: its fields in number order, what each holds, and their wire types. */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';

export type Message = Record<string, unknown>;

/** Thrown inside this module to leave a value or bytes to the library. */
export const OUTSIDE = Symbol('outside the fast path');

const EDITION_PROTO3 = 999;
const IMPLICIT_PRESENCE = 2;
export const MAX_DEPTH = 100;

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** What a field holds. */
export const Kind = { Scalar: 0, Message: 1, ScalarList: 2, MessageList: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface FieldPlan {
  number: number;
  name: string;
  kind: Kind;
  scalar: ScalarType;
  /** The wire type of one value. */
  wire: number;
  packed: boolean;
  message?: MessagePlan;
}

export interface MessagePlan {
  typeName: string;
  /** By field number. */
  fields: FieldPlan[];
  byNumber: Map<number, FieldPlan>;
}

export function planOf(desc: DescMessage, plans: Map<DescMessage, MessagePlan | undefined>): MessagePlan | undefined {
  if (plans.has(desc)) return plans.get(desc);
  if (desc.file.edition !== EDITION_PROTO3 || desc.oneofs.length > 0 || isWrapperDesc(desc)) return undefined;
  const plan: MessagePlan = { typeName: desc.typeName, fields: [], byNumber: new Map() };
  // Registered before its fields, so that a recursive type finds itself.
  plans.set(desc, plan);
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) {
    const fieldPlan = planField(field, plans);
    if (fieldPlan === undefined) {
      plans.set(desc, undefined);
      return undefined;
    }
    plan.fields.push(fieldPlan);
    plan.byNumber.set(field.number, fieldPlan);
  }
  return plan;
}

function planField(field: DescField, plans: Map<DescMessage, MessagePlan | undefined>): FieldPlan | undefined {
  if (field.oneof !== undefined) return undefined;
  const base = { number: field.number, name: field.localName, packed: false };
  switch (field.fieldKind) {
    case 'scalar': {
      if (field.presence !== IMPLICIT_PRESENCE || field.longAsString) return undefined;
      return { ...base, kind: Kind.Scalar, scalar: field.scalar, wire: wireOf(field.scalar) };
    }
    case 'message': {
      const message = field.delimitedEncoding ? undefined : planOf(field.message, plans);
      if (message === undefined) return undefined;
      return { ...base, kind: Kind.Message, scalar: ScalarType.BYTES, wire: LENGTH_DELIMITED, message };
    }
    case 'list': {
      if (field.listKind === 'message') {
        const message = field.delimitedEncoding ? undefined : planOf(field.message, plans);
        if (message === undefined) return undefined;
        return { ...base, kind: Kind.MessageList, scalar: ScalarType.BYTES, wire: LENGTH_DELIMITED, message };
      }
      if (field.listKind !== 'scalar' || field.longAsString) return undefined;
      return { ...base, kind: Kind.ScalarList, scalar: field.scalar, wire: wireOf(field.scalar), packed: field.packed };
    }
    default:
      return undefined;
  }
}

function wireOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return FIXED64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return FIXED32;
    default:
      return VARINT;
  }
}

