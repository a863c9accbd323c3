/**
 * The QWebChannel protocol (Qt's qwebchannel.js, npm `qwebchannel`) spoken by the daemon, for one
 * connection. No I/O and no `ws`: the server (server.ts) feeds it text frames and sends what it
 * returns. See docs/rpc.md for the published objects.
 *
 * Two objects are published:
 * - `secushare`: every service method (service.ts, derived from the service object, so the list is
 *   never written twice), invoked by name or index with one params object, validated by the service
 *   exactly as over JSON-RPC; and one signal per event (event-bus.ts) plus `eventsLost`.
 * - `node`: read-only properties from NodeStatus, each with a notify signal `<name>Changed`.
 *
 * Hostile input never throws: a frame that is not a JSON object with an integer `type` is ignored
 * (as Qt's host does). A failed invokeMethod (unknown object or method, wrong arguments, a service
 * error) is answered with the protocol's response type, without `data` (so qwebchannel.js rejects
 * the call's promise), plus an `error: {code, message, detail}` of the SecushareError.
 */
import { isSecushareError, SecushareError } from '../../protocol/errors.js'
import { MAX_WEBCHANNEL_ARGS } from '../../protocol/limits.js'
import { EVENT_NAMES, STATUS_FIELDS, type NodeStatus } from './event-bus.js'
import { isRecord, jsonDetail } from './json.js'

export const WEBCHANNEL_PATH = '/webchannel'
export const WEBCHANNEL_SUBPROTOCOL = 'secushare.webchannel.v1'
export const SERVICE_OBJECT = 'secushare'
export const STATUS_OBJECT = 'node'
/** Signals of SERVICE_OBJECT, in index order after the methods. */
export const WEBCHANNEL_SIGNALS = [...EVENT_NAMES, 'eventsLost'] as const

export const MessageType = {
  signal: 1,
  propertyUpdate: 2,
  init: 3,
  idle: 4,
  debug: 5,
  invokeMethod: 6,
  connectToSignal: 7,
  disconnectFromSignal: 8,
  setProperty: 9,
  response: 10
} as const

type Id = number | string
type ErrorJson = { code: string, message: string, detail: Record<string, unknown> }

export interface WebChannelOptions {
  /** The service's method names, in a fixed order (their indices). */
  methods: readonly string[]
  /** Runs a service method with the given arguments (at most MAX_WEBCHANNEL_ARGS). */
  call: (method: string, args: unknown[]) => Promise<unknown>
  /** Sends one message to the client now (responses). */
  send: (msg: Record<string, unknown>) => void
  /** The current node status (init, and reverting a refused setProperty). */
  status: () => NodeStatus
  /** The client announced it is idle: pending property updates may be sent. */
  onIdle: () => void
  /** Fields whose value the client must be told again (after a refused setProperty). */
  onResend: (changed: Partial<NodeStatus>) => void
  /** Errors that are not SecushareErrors (bugs). */
  onInternalError: (err: unknown, method: string) => void
}

function clip (s: string, n = 64): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…'
}

/** The `init` answer: every published object's methods, signals and properties. */
export function describeObjects (methods: readonly string[], status: NodeStatus): Record<string, unknown> {
  const n = STATUS_FIELDS.length
  return {
    [SERVICE_OBJECT]: {
      methods: methods.map((m, i) => [m, i]),
      signals: WEBCHANNEL_SIGNALS.map((s, i) => [s, methods.length + i]),
      properties: [],
      enums: {}
    },
    [STATUS_OBJECT]: {
      methods: [],
      signals: [],
      // [index, name, [1 = "<name>Changed", notify signal index], value]
      properties: STATUS_FIELDS.map((f, i) => [i, f, [1, n + i], status[f]]),
      enums: {}
    }
  }
}

/** A propertyUpdate message for the changed status fields. */
export function propertyUpdate (changed: Partial<NodeStatus>): Record<string, unknown> {
  const n = STATUS_FIELDS.length
  const signals: Record<number, unknown[]> = {}
  const properties: Record<number, unknown> = {}
  STATUS_FIELDS.forEach((f, i) => {
    if (!(f in changed)) return
    signals[n + i] = [changed[f]]
    properties[i] = changed[f]
  })
  return { type: MessageType.propertyUpdate, data: [{ object: STATUS_OBJECT, signals, properties }] }
}

export class WebChannelSession {
  /** Indices of SERVICE_OBJECT's signals this client connected to. */
  private readonly connected = new Set<number>()
  /** Qt's rule: property updates go out only after the client said `idle` (and then not again until it does). */
  idle = false

  constructor (private readonly o: WebChannelOptions) {}

  /** The signal message for an event, or undefined when the client is not connected to it. */
  signal (name: typeof WEBCHANNEL_SIGNALS[number], params: Record<string, unknown>): Record<string, unknown> | undefined {
    const index = this.o.methods.length + WEBCHANNEL_SIGNALS.indexOf(name)
    if (!this.connected.has(index)) return undefined
    return { type: MessageType.signal, object: SERVICE_OBJECT, signal: index, args: [params] }
  }

  /** Handles one text frame. Never throws. */
  async handle (text: string): Promise<void> {
    let msg: unknown
    try { msg = JSON.parse(text) } catch { return }
    if (!isRecord(msg) || !Number.isInteger(msg.type)) return
    const id: Id | undefined = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : undefined
    switch (msg.type) {
      case MessageType.init:
        if (id !== undefined) this.respond(id, describeObjects(this.o.methods, this.o.status()))
        return
      case MessageType.idle:
        this.idle = true
        this.o.onIdle()
        return
      case MessageType.invokeMethod:
        await this.invoke(msg, id)
        return
      case MessageType.connectToSignal:
      case MessageType.disconnectFromSignal: {
        const index = this.signalIndex(msg)
        if (index === undefined) { this.fail(id, new SecushareError('NOT_FOUND', 'no such object or signal')); return }
        if (msg.type === MessageType.connectToSignal) this.connected.add(index)
        else this.connected.delete(index)
        return
      }
      case MessageType.setProperty: {
        // Every published property is read-only: tell the client the real value again.
        const field = msg.object === STATUS_OBJECT && Number.isInteger(msg.property) ? STATUS_FIELDS[msg.property as number] : undefined
        if (field === undefined) { this.fail(id, new SecushareError('NOT_FOUND', 'no such object or property')); return }
        this.o.onResend({ [field]: this.o.status()[field] })
        this.fail(id, new SecushareError('INVALID_ARGUMENT', `${STATUS_OBJECT}.${field} is read-only`))
        return
      }
      default:
        // debug, and types only a host sends: nothing to do; anything else with an id gets an error.
        if (msg.type !== MessageType.debug) this.fail(id, new SecushareError('INVALID_ARGUMENT', `unknown QWebChannel message type ${String(msg.type)}`))
    }
  }

  private signalIndex (msg: Record<string, unknown>): number | undefined {
    if (msg.object !== SERVICE_OBJECT || !Number.isInteger(msg.signal)) return undefined
    const index = msg.signal as number
    const first = this.o.methods.length
    return index >= first && index < first + WEBCHANNEL_SIGNALS.length ? index : undefined
  }

  private methodName (msg: Record<string, unknown>): string | undefined {
    if (msg.object !== SERVICE_OBJECT) return undefined
    const m = msg.method
    if (typeof m === 'number') return Number.isInteger(m) ? this.o.methods[m] : undefined
    if (typeof m !== 'string') return undefined
    // qwebchannel.js calls by name; a "name(...)" signature form is accepted too.
    const name = m.endsWith(')') ? m.slice(0, m.indexOf('(')) : m
    return this.o.methods.includes(name) ? name : undefined
  }

  private async invoke (msg: Record<string, unknown>, id: Id | undefined): Promise<void> {
    if (id === undefined) return // an answer could not be matched to the call: do not run it
    const method = this.methodName(msg)
    if (method === undefined) {
      const what = isRecord(msg) && msg.object !== SERVICE_OBJECT ? `object ${JSON.stringify(clip(String(msg.object)))}` : `method ${JSON.stringify(clip(String(msg.method)))}`
      this.fail(id, new SecushareError('NOT_FOUND', `no ${what}`))
      return
    }
    const args = msg.args === undefined ? [] : msg.args
    if (!Array.isArray(args) || args.length > MAX_WEBCHANNEL_ARGS) {
      this.fail(id, new SecushareError('INVALID_ARGUMENT', `${method}: takes one params object, got ${Array.isArray(args) ? `${args.length} arguments` : 'no argument list'}`))
      return
    }
    let result: unknown
    try {
      result = await this.o.call(method, args)
    } catch (e) {
      if (!isSecushareError(e) || e.code === 'INTERNAL') this.o.onInternalError(e, method)
      this.fail(id, isSecushareError(e) ? e : new SecushareError('INTERNAL', `internal error in ${method}`))
      return
    }
    this.respond(id, result ?? null)
  }

  private respond (id: Id, data: unknown): void {
    this.o.send({ type: MessageType.response, id, data })
  }

  private fail (id: Id | undefined, e: SecushareError): void {
    if (id === undefined) return
    const error: ErrorJson = { code: e.code, message: e.message, detail: jsonDetail(e.detail) }
    this.o.send({ type: MessageType.response, id, error })
  }
}
