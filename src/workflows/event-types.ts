/**
 * The event vocabulary, one row per type Vesper sends: what the workflow does with it, which `data` fields it
 * must carry, how its key is formed and what a sample looks like. The receiver's schema, the event key, the
 * sample events, `register-webhook`'s defaults and the metrics labels are all derived from this table.
 * Changing a type's `handling` (or giving an unknown type a row with a handling other than `record`) changes
 * the commands its open runs replay: guard it with `patched()` in process-event.ts and record histories.
 * Sandbox-safe: plain data.
 */

export type MessageStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

/** One branch of route() in process-event.ts each; a new kind fails the typecheck until route() handles it. */
export type Handling = 'save-and-reply' | 'apply-status' | 'record-session' | 'record';

/**
 * How the event key separates events (see buildEventKey):
 * - `message`: one event of this type per message, so `<session>:<messageId>` names it;
 * - `content`: several events can share every natural field, so a digest of the signed content is added.
 */
export type KeyForm = 'message' | 'content';

/** `data` fields a type may require; each is then a non-empty string of at most MAX_ID_LENGTH characters. */
export type IdField = 'sessionId' | 'messageId';

export interface EventTypeSpec {
  description: string;
  handling: Handling;
  required: readonly IdField[];
  key: KeyForm;
  /** For `apply-status`: the delivery status it carries. */
  status?: MessageStatus;
  /** Subscribed by `npm run register-webhook` unless told otherwise. */
  subscribe: boolean;
  /** `data` of a realistic sample beyond the IDs and timestamps (`npm run send-test-event`). */
  sample: Readonly<Record<string, unknown>>;
}

const CONTACT = '905551234567@s.whatsapp.net';
const OWN_NUMBER = '905559876543@s.whatsapp.net';
const GROUP = '120363025246125486@g.us';
const MESSAGE_IDS = ['sessionId', 'messageId'] as const;

export const EVENT_TYPES = {
  'message.received': {
    description: 'A message arrived',
    handling: 'save-and-reply',
    required: MESSAGE_IDS,
    key: 'message',
    subscribe: true,
    sample: {
      from: CONTACT,
      fromName: 'John Doe',
      to: OWN_NUMBER,
      text: 'Hello, I need help with my order',
      isGroup: false,
      hasMedia: false,
    },
  },
  'message.sent': status('sent', 'A message we sent left the gateway'),
  'message.delivered': status('delivered', 'A message we sent reached the phone'),
  'message.read': status('read', 'A message we sent was read'),
  'message.played': status('played', 'A voice message we sent was played'),
  'message.failed': status('failed', 'A message we sent failed', { error: 'recipient unavailable' }),
  'session.connected': {
    description: 'A session connected',
    handling: 'record-session',
    required: ['sessionId'],
    key: 'content',
    subscribe: true,
    sample: {},
  },
  'session.disconnected': {
    description: 'A session dropped: messages stop arriving until it reconnects',
    handling: 'record-session',
    required: ['sessionId'],
    key: 'content',
    subscribe: true,
    sample: { reason: 'phone_offline' },
  },
  'group.created': group('A group was created', { subject: 'Support' }),
  'group.updated': group('A group was updated', { subject: 'Support' }),
  'group.participants.updated': group("A group's participants changed", {
    action: 'add',
    participants: [CONTACT],
  }),
} as const satisfies Readonly<Record<string, EventTypeSpec>>;

export type KnownEventType = keyof typeof EVENT_TYPES;

function status(status: MessageStatus, description: string, extra: Record<string, unknown> = {}) {
  return {
    description,
    handling: 'apply-status',
    required: MESSAGE_IDS,
    key: 'message',
    status,
    subscribe: true,
    sample: { to: CONTACT, status, ...extra },
  } as const;
}

function group(description: string, sample: Record<string, unknown>) {
  return {
    description,
    handling: 'record',
    required: [],
    key: 'content',
    subscribe: true,
    sample: { groupId: GROUP, ...sample },
  } as const;
}

export const KNOWN_EVENT_TYPES = Object.keys(EVENT_TYPES) as KnownEventType[];

/** The row for a type; an own property only, so `constructor` or `__proto__` is an unknown type, not a row. */
export function eventTypeSpec(type: string): EventTypeSpec | undefined {
  return Object.hasOwn(EVENT_TYPES, type) ? EVENT_TYPES[type as KnownEventType] : undefined;
}

/**
 * A type this version does not know (a reaction, an edit, a new group event): accepted with the envelope alone,
 * recorded and counted, never acted on. Its key carries a digest of the body, so two reactions to one message
 * stay two events.
 */
export const UNKNOWN_TYPE_SPEC: EventTypeSpec = {
  description: 'A type this version does not know',
  handling: 'record',
  required: [],
  key: 'content',
  subscribe: false,
  sample: {},
};

/** A bounded label for an event type: known types as they are, others folded. */
export function eventTypeLabel(type: string | undefined): string {
  if (!type) return 'unknown';
  if (eventTypeSpec(type)) return type;
  return type.startsWith('group.') ? 'group.other' : 'other';
}

/** The `data` fields named anywhere in Vesper's guide; any others are kept as they came. */
export interface VesperEventData {
  messageId?: string;
  sessionId?: string;
  from?: string;
  fromName?: string;
  to?: string;
  text?: string;
  caption?: string;
  /** WhatsApp's own time of the message, epoch seconds. */
  timestamp?: number;
  isGroup?: boolean;
  hasMedia?: boolean;
  mediaType?: string;
  mediaUrl?: string;
  status?: string;
  reason?: string;
  lastSeen?: string;
  error?: string;
  fromMe?: boolean;
  [field: string]: unknown;
}

/** The envelope Vesper POSTs for every event; see the seed guide, step 4. */
export interface VesperEvent {
  type: string;
  /** ISO 8601; signed with the body, so it bounds how long a captured body can act (see the README). */
  timestamp: string;
  data: VesperEventData;
}

/** A known event with its required fields present: what the receiver's schema guarantees per type. */
export type EventOf<T extends KnownEventType> = {
  type: T;
  timestamp: string;
  data: VesperEventData & { [F in (typeof EVENT_TYPES)[T]['required'][number]]: string };
};

export type KnownEvent = { [T in KnownEventType]: EventOf<T> }[KnownEventType];
