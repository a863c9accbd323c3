/**
 * Every protocol limit, in one place. Contract: each constant here has a golden vector (or a
 * test) exactly at the limit (accepted) and one past it (refused with LIMIT_EXCEEDED naming the
 * constant). Raising a limit is a protocol change: peers running older code will refuse.
 */

/** Padding buckets for every sealed plaintext, smallest first (bytes). */
export const PAD_BUCKETS = [256, 1024, 4096, 16384, 65536] as const
/** The largest bucket. */
export const MAX_PADDED_BYTES = 65536
/** ISO/IEC 7816-4 padding needs at least one byte, so a plaintext may be at most this long. */
export const MAX_PLAINTEXT_BYTES = MAX_PADDED_BYTES - 1

/** A whole PSYC packet (it must fit, unpadded, in the largest bucket). */
export const MAX_PACKET_BYTES = MAX_PLAINTEXT_BYTES
/** Routing modifiers in one packet. */
export const MAX_ROUTING_MODIFIERS = 16
/** Entity lines (modifiers and lone state-sync lines) in one packet. */
export const MAX_ENTITY_MODIFIERS = 64
/** Bytes in a variable name, including the leading underscore. */
export const MAX_NAME_BYTES = 64
/** Bytes in a method name. */
export const MAX_METHOD_BYTES = 64
/** A value in plain form (TAB value LF). Longer values must use the length form. */
export const MAX_PLAIN_VALUE_BYTES = 256
/** Decimal digits in any length field (content length, value length, list element length). */
export const MAX_LENGTH_DIGITS = 5
/** Elements of one _list value, or entries of one _dict value. */
export const MAX_LIST_ITEMS = 256
/** Labels of a method or variable name (`_a_b_c` has 3); also bounds inheritance steps. */
export const MAX_NAME_LABELS = 16

/** Envelope: the largest message id (ids stay exact in a JS number). */
export const MAX_MESSAGE_ID = Number.MAX_SAFE_INTEGER
/** Envelope: the largest key generation. */
export const MAX_GENERATION = 0xffff_ffff
/**
 * Envelope: the largest frame, the largest bucket plus its 16-byte AEAD tag inside 138 bytes of
 * fixed fields and signature (protocol/envelope.ts; a test checks the sum). Transports can use it
 * as their frame cap.
 */
export const MAX_ENVELOPE_BYTES = 138 + MAX_PADDED_BYTES + 16

/** Invite links: addresses carried, bytes of one address or of the peer id, characters of a link. */
export const MAX_INVITE_ADDRS = 8
export const MAX_INVITE_FIELD_BYTES = 255
export const MAX_INVITE_LINK_CHARS = 4096
/** Entry requests (protocol/place-entry.ts): bytes of the requester's note; requests a host keeps per place. */
export const MAX_ENTRY_TEXT_BYTES = 512
export const MAX_PENDING_ENTRIES = 256
/** An entry request signed further than this from the host's clock is refused (replays age out). */
export const MAX_ENTRY_CLOCK_SKEW_MS = 10 * 60_000
/** Identities and profiles: bytes of a nick (what a person calls themselves) and of a profile description. */
export const MAX_NICK_BYTES = 64
export const MAX_DESCRIPTION_BYTES = 1024
/** Petnames: bytes of the name a person gives a contact. */
export const MAX_PETNAME_BYTES = 64
/** One contact-handshake message (a PSYC packet in one frame). */
export const MAX_HANDSHAKE_BYTES = 4096
/** Strangers remembered from LAN discovery (`nearby`); the oldest is forgotten first. */
export const MAX_NEARBY_PEERS = 64
/** Invite lifetime: default and the longest allowed (seconds). */
export const DEFAULT_INVITE_TTL_S = 7 * 24 * 3600
export const MAX_INVITE_TTL_S = 30 * 24 * 3600

/**
 * Network: one frame on a libp2p stream (core/net/framing.ts), the body without its length prefix.
 * A frame carries one protocol message, at most an envelope plus 256 bytes for the protocol's
 * own fields around it (message type, request id, relay tag and expiry, ...). Wire limit.
 */
export const MAX_FRAME_BYTES = MAX_ENVELOPE_BYTES + 256
/**
 * Network: bytes of a frame's length prefix (a minimal unsigned LEB128 varint). Four bytes encode
 * up to 2^28 - 1, far above MAX_FRAME_BYTES; a fifth byte is refused before it is waited for.
 */
export const MAX_FRAME_PREFIX_BYTES = 4
/**
 * Network, local policy (peers do not see it): open connections; more inbound ones are refused and
 * libp2p prunes the least useful beyond it. The default of NetOptions.maxConnections.
 */
export const MAX_CONNECTIONS = 256
/**
 * Network, local policy: penalties for hostile input (core/net/offences.ts, docs/penalties.md).
 * An offence is a frame over its limit or with a bad length prefix, a request that does not
 * decode, or a bad signature (weight 1 each); a refused unauthorized request weighs
 * 1 / PEER_REFUSALS_PER_OFFENCE (an honest node that is out of date may ask once too often). A
 * peer's offences halve every PEER_OFFENCE_HALF_LIFE_MS; when they reach PEER_OFFENCES_BEFORE_BAN
 * the peer is disconnected and every connection with it refused for PEER_BAN_MS (in memory only:
 * never for ever, contacts included). At most MAX_PENALISED_PEERS peers are remembered (the one
 * penalised least recently is forgotten first).
 */
export const PEER_OFFENCES_BEFORE_BAN = 3
export const PEER_REFUSALS_PER_OFFENCE = 3
export const PEER_OFFENCE_HALF_LIFE_MS = 10 * 60_000
export const PEER_BAN_MS = 10 * 60_000
export const MAX_PENALISED_PEERS = 1024
/** Network, local policy: inbound streams of one protocol open at once on one connection. */
export const MAX_INBOUND_STREAMS_PER_PROTOCOL = 32
/**
 * Network, local policy: the same per protocol where it is smaller (one more stream on that
 * connection is reset): places, relays and zone lookups 16, introductions 8, contact handshakes 4.
 */
export const MAX_PLACE_STREAMS = 16
export const MAX_RELAY_STREAMS = 16
export const MAX_ZONE_STREAMS = 16
export const MAX_INTRODUCTION_STREAMS = 8
export const MAX_HANDSHAKE_STREAMS = 4
/** Store, local policy: writes committed together at most (group commit); more wait for the next commit. */
export const MAX_WRITES_PER_COMMIT = 256

/**
 * RPC (core/rpc), local policy between a daemon and its own CLI and UIs (peers never see it).
 * One JSON-RPC request (the server closes the connection with WebSocket code 1009) or server
 * notification. Responses are not capped here: listing methods page their results instead.
 */
export const MAX_RPC_MESSAGE_BYTES = 1024 * 1024
/** RPC: authenticated WebSocket connections at once; one more is answered HTTP 503. */
export const MAX_RPC_CONNECTIONS = 64
/** RPC: TCP connections that have not (yet) become an authenticated WebSocket; more are dropped. */
export const MAX_RPC_PENDING_SOCKETS = 64
/** RPC: a new TCP connection must complete its HTTP upgrade within this time or it is closed. */
export const RPC_UPGRADE_TIMEOUT_MS = 5_000
/**
 * RPC: failed authentications from one remote address within RPC_AUTH_FAILURE_WINDOW_MS that are
 * answered 401; the next attempts from that address are answered 429 for RPC_AUTH_BLOCK_MS.
 */
export const RPC_AUTH_FAILURE_LIMIT = 10
export const RPC_AUTH_FAILURE_WINDOW_MS = 60_000
export const RPC_AUTH_BLOCK_MS = 60_000
/** RPC: remote addresses whose failures are remembered (the oldest is forgotten first). */
export const MAX_RPC_AUTH_TRACKED_ADDRESSES = 1024
/** RPC: requests of one connection running at once; the server stops reading until one ends. */
export const MAX_RPC_INFLIGHT_PER_CONNECTION = 32
/**
 * RPC: bytes queued for one client that it has not read yet (ws bufferedAmount). A client that
 * falls further behind is disconnected (WebSocket code 1013) rather than holding the daemon's memory.
 */
export const MAX_RPC_CLIENT_BUFFERED_BYTES = 4 * MAX_RPC_MESSAGE_BYTES
/**
 * RPC: events queued for one subscribed client (JSON-RPC `subscribe`, QWebChannel signals). One
 * more empties the queue; the client then gets one `eventsLost {count}` and should refetch. Status
 * updates are coalesced (latest value per field) and never counted here.
 */
export const MAX_RPC_EVENT_QUEUE = 1000
/** RPC: queued events are written to a client only while it has fewer unread bytes than this. */
export const RPC_EVENT_SEND_BUFFERED_BYTES = 64 * 1024
/**
 * RPC: bytes of an HTTP request's head (request line and headers) before it is authenticated; a
 * bigger one is answered 431 and closed. Room for a browser's cookies for the host, not more.
 */
export const MAX_RPC_REQUEST_HEAD_BYTES = 8 * 1024
/** QWebChannel: arguments of one invokeMethod (our methods take one params object or none). */
export const MAX_WEBCHANNEL_ARGS = 1
/**
 * Remote UIs (router mode, core/rpc/remote.ts). A pairing code is PAIR_CODE_CHARS characters of
 * Crockford base32 (5 bits each: 60 bits), single-use, valid PAIR_TTL_DEFAULT_S unless the owner
 * asks for PAIR_TTL_MIN_S to PAIR_TTL_MAX_S. At most MAX_PAIR_CODES are outstanding (the oldest is
 * dropped). After PAIR_FAILURE_LIMIT wrong codes (from any address) every outstanding code is
 * voided, on top of the per-address limit on failed authentications.
 */
export const PAIR_CODE_CHARS = 12
export const PAIR_TTL_DEFAULT_S = 300
export const PAIR_TTL_MIN_S = 10
export const PAIR_TTL_MAX_S = 3600
export const MAX_PAIR_CODES = 8
export const PAIR_FAILURE_LIMIT = 20
/** Remote UIs: UI tokens kept at once (pairing fails with LIMIT_EXCEEDED beyond; revoke one). */
export const MAX_UI_TOKENS = 64
/** Remote UIs: bytes of a UI token's name (given at `secushare pair --name`). */
export const MAX_UI_TOKEN_NAME_BYTES = 64
/** RPC client: how long a request waits for its answer by default. */
export const RPC_REQUEST_TIMEOUT_MS = 30_000

/**
 * Places: bytes of the UTF-8 text (the data) of one place message. 16 KiB holds a long essay;
 * bigger things travel as files. It keeps a quarter of MAX_PLAINTEXT_BYTES for the text, so text,
 * header lines and MAX_STATE_OPS operations of MAX_STATE_VALUE_BYTES, all at their limits, still
 * fit one plaintext with about 14 KiB to spare for `:` variables (a test checks the sum); the
 * packet limit (MAX_PACKET_BYTES) has the last word. Wire limit.
 */
export const MAX_POST_TEXT_BYTES = 16 * 1024
/**
 * Places: bytes of the text of a reaction (`_converse_reaction`, e.g. an emoji or "+1") a UI sends
 * with the `react` RPC method. A reaction is a glance, not a post: 64 bytes hold any emoji
 * sequence (the longest ZWJ sequences are about 35 bytes). RPC limit (the wire allows any post text).
 */
export const MAX_REACTION_BYTES = 64
/** Places: state operations (`=` `+` `-` `@` modifiers) in one place message. Wire limit. */
export const MAX_STATE_OPS = 16
/**
 * Places: bytes of one state value: the value an operation carries, and the value it leaves in the
 * state (an operation whose result would be longer is skipped). Wire limit.
 */
export const MAX_STATE_VALUE_BYTES = 2048
/** Places: variables in one place's state; an operation that would create one more is skipped. */
export const MAX_STATE_VARS = 256
/**
 * Places, local policy: stateful messages a receiver holds while an earlier stateful message is
 * missing (core/places/state.ts StateSequencer); more are handed back unapplied ("held-full").
 */
export const MAX_STATE_HELD = 256
/** Profiles: bytes of an avatar, one state value (a small image, e.g. 64×64 WebP or PNG). */
export const MAX_AVATAR_BYTES = MAX_STATE_VALUE_BYTES
/** Places: an envelope id more than this beyond my head is refused (a flood of far-future ids would open gaps). */
export const MAX_ID_AHEAD = 4096
/** Places: envelopes in one replay answer. Wire limit. */
export const MAX_REPLAY_BATCH = 1000
/**
 * Places, local policy: bytes of envelopes a host holds for one member's push stream (direct
 * delivery, core/places/push.ts); past it a new envelope is not queued (the member replays it).
 */
export const MAX_PUSH_QUEUE_BYTES = 1024 * 1024
/** Places, local policy: the longest `placeKeyRotation` (seconds; the shortest is one second). */
export const MAX_KEY_ROTATION_S = 365 * 24 * 3600

/**
 * Network, local policy: bytes (UTF-8) of a publish/subscribe topic this node subscribes or
 * publishes to (core/net/node.ts). Topics are names we choose (a hash-derived name per place and
 * generation), so this only catches mistakes; the data of one pubsub message is held to
 * MAX_FRAME_BYTES, a wire limit (peers reject bigger ones as invalid).
 */
export const MAX_PUBSUB_TOPIC_BYTES = 256

/**
 * Names (protocol/zone-record.ts, docs/names.md). Labels of one dotted name (`carol.bob` has 2);
 * resolution never takes more steps than this. Wire limit in the sense that forwarding routes
 * are at most this long.
 */
export const MAX_NAME_DEPTH = 8
/** Names: records under one label of a zone (one per type; five types exist). Wire limit. */
export const MAX_ZONE_RECORDS = 8
/** Names: bytes of one record's value. Wire limit. */
export const MAX_ZONE_VALUE_BYTES = 512
/** Names: addresses in a PLACE, PEER or RELAY record, and relays in a PLACE record. Wire limit. */
export const MAX_ZONE_ADDRS = 8
/** Names: one published block (a signed, encrypted record set). Wire limit. */
export const MAX_ZONE_BLOCK_BYTES = 8192
/** Names: one zone or introduction request or answer (a PSYC packet in one frame). Wire limit. */
export const MAX_NAMES_WIRE_BYTES = 3 * MAX_ZONE_BLOCK_BYTES
/** Names: one signed introduction. Wire limit. */
export const MAX_INTRODUCTION_BYTES = 2048
/** Names, local policy: introductions waiting for an answer; more are refused. */
export const MAX_PENDING_INTRODUCTIONS = 256
/** Names, local policy: resolved blocks kept in the resolver's cache (the oldest is dropped). */
export const MAX_ZONE_CACHE_ENTRIES = 1024

/**
 * Relays (core/relay/, docs/relays.md). A relay blob is a sealed, padded box; its length is one of
 * RELAY_BLOB_SIZES, so its size says no more than the bucket of what it holds. The smaller sizes
 * are a padding bucket plus RELAY_BLOB_EXTRA_BYTES: room for one whole envelope of that bucket
 * (MAX_ENVELOPE_BYTES − MAX_PADDED_BYTES = 154 bytes of header and tag), the kind and place id
 * (33), the blob's nonce and tag (40) and the padding marker. The largest is
 * MAX_RELAY_BLOB_BYTES: a deposit is one PSYC packet (MAX_PACKET_BYTES), so envelopes of the
 * largest bucket do not fit a blob (nor a place replay frame) and are not relayed. Wire limit.
 */
export const RELAY_BLOB_EXTRA_BYTES = 256
/** Relays: the largest blob: a deposit of it, with its tag and time to live, is one packet. Wire limit. */
export const MAX_RELAY_BLOB_BYTES = MAX_PACKET_BYTES - 255
export const RELAY_BLOB_SIZES = [...PAD_BUCKETS.slice(0, -1).map((b) => b + RELAY_BLOB_EXTRA_BYTES), MAX_RELAY_BLOB_BYTES] as readonly number[]
/** Relays: bytes of a deposit tag (a keyed BLAKE2b of the pair secret and the time slot). Wire limit. */
export const RELAY_TAG_BYTES = 16
/** Relays: length of one time slot; tags of the same pair differ from slot to slot. */
export const RELAY_SLOT_MS = 3600_000
/** Relays: tags in one fetch request. Wire limit. */
export const MAX_RELAY_FETCH_TAGS = 2048
/** Relays: blobs in one fetch answer (the rest comes with the next request). Local policy. */
export const MAX_RELAY_FETCH_BLOBS = 256
/** Relays: blob keys in one acknowledgement. Wire limit. */
export const MAX_RELAY_ACK_KEYS = 256
/** Relays: bytes of a blob key (random, chosen by the relay). Wire limit. */
export const RELAY_KEY_BYTES = 8
/** Relays: relays in a published relay list, and relays a sender deposits on per recipient. Wire limit. */
export const MAX_RELAYS = 8
/** Relays: relays one message is deposited on per recipient (local policy). */
export const RELAY_DEPOSIT_COPIES = 3
/** Relays: default total bytes a node keeps for others (the daemon's `relayQuota`). Local policy. */
export const DEFAULT_RELAY_QUOTA_BYTES = 256 * 1024 * 1024
/** Relays: the largest `relayQuota` accepted (512 MiB: half of the store's LMDB map of 1 GiB). */
export const MAX_RELAY_QUOTA_BYTES = 512 * 1024 * 1024
/** Relays: one depositing peer may hold at most quota / RELAY_DEPOSITOR_SHARE_DIVISOR. Local policy. */
export const RELAY_DEPOSITOR_SHARE_DIVISOR = 4
/**
 * Relays: depositors that are not the relay's contacts (a host leaving a post for a member who
 * uses this relay, a guest leaving one for an offline host: the relay cannot tell for whom a blob
 * is) hold together at most quota / RELAY_STRANGERS_SHARE_DIVISOR, each at most quota /
 * RELAY_STRANGER_SHARE_DIVISOR, and at most MAX_RELAY_STRANGERS of them hold bytes at once. Only
 * contacts fetch and acknowledge. Local policy (docs/relays.md).
 */
export const RELAY_STRANGERS_SHARE_DIVISOR = 4
export const RELAY_STRANGER_SHARE_DIVISOR = 64
export const MAX_RELAY_STRANGERS = 1024
/** Relays: default and longest time a blob is kept (the daemon's `relayExpiry`, in seconds). */
export const DEFAULT_RELAY_EXPIRY_S = 14 * 24 * 3600
export const MAX_RELAY_EXPIRY_S = 90 * 24 * 3600
/**
 * Relays, local policy: deposits one peer may make in a burst, refilled at
 * RELAY_DEPOSITS_PER_SECOND; more are refused with RELAY_BUSY until the bucket refills.
 */
export const RELAY_DEPOSIT_BURST = 512
export const RELAY_DEPOSITS_PER_SECOND = 128
/** Relays, local policy: requests one relay stream may carry (one after another). */
export const MAX_RELAY_REQUESTS_PER_STREAM = 4096
/** Relays, local policy: fetch rounds (fetch, acknowledge) per relay and batch of tags before giving up for this time. */
export const MAX_FETCH_ROUNDS = 64
/** Relays, local policy: expired blobs removed per garbage-collection transaction. */
export const RELAY_GC_BATCH = 256
/** Relays, local policy: peers whose deposit rate is tracked in memory (the least recent is forgotten). */
export const MAX_RELAY_TRACKED_PEERS = 1024
