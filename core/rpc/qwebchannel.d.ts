// Types for Qt's qwebchannel.js (npm `qwebchannel`, no types of its own); used only by webchannel-client.ts.
declare module 'qwebchannel' {
  export interface QWebChannelTransport { send: (data: string) => void, onmessage: ((event: { data: unknown }) => void) | null }
  export class QWebChannel {
    constructor (transport: QWebChannelTransport, initCallback?: (channel: QWebChannel) => void)
    objects: Record<string, any>
  }
  const qwebchannel: { QWebChannel: typeof QWebChannel }
  export default qwebchannel
}
